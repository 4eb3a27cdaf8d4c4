"""Data that crosses module boundaries: frozen dataclasses, no behaviour beyond derived fields.

Extractors produce these; the warehouse loads them; flows only pass them along.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class FetchOutcome(StrEnum):
    """How one HTTP fetch ended. Everything but OK and NOT_MODIFIED is a counted failure."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    HTTP_ERROR = "http_error"  # a final 4xx/5xx after retries
    TOO_LARGE = "too_large"  # body over http.max_body_bytes
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"  # DNS, refused, reset, TLS, too many redirects
    BLOCKED = "blocked"  # SSRF guard: private/loopback address or non-http(s) scheme

    @property
    def is_transient(self) -> bool:
        """Worth another try on a later run (the server may come back), for some HTTP statuses at least:
        see `FetchResult.is_transient`."""
        return self in (FetchOutcome.TIMEOUT, FetchOutcome.NETWORK_ERROR, FetchOutcome.HTTP_ERROR)


# HTTP answers that say "not now" rather than "never": timeouts, throttling, and server errors (5xx).
RETRYABLE_STATUSES = frozenset({408, 425, 429})


@dataclass(frozen=True, slots=True)
class Validators:
    """HTTP cache validators kept per feed for conditional GET."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One URL fetched by extractors.http. `body` is empty unless outcome is OK."""

    url: str
    outcome: FetchOutcome
    final_url: str | None = None
    status: int | None = None
    content_type: str | None = None
    body: bytes = b""
    validators: Validators = field(default_factory=Validators)
    headers: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    elapsed_s: float = 0.0
    attempts: int = 1

    @property
    def is_transient(self) -> bool:
        """Worth another try on a later run: a 404 or 410 will not come back, a 503 may."""
        if self.outcome is FetchOutcome.HTTP_ERROR and self.status is not None:
            return self.status >= 500 or self.status in RETRYABLE_STATUSES
        return self.outcome.is_transient


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One usable item of a feed: it has a link. Strings are plain text, never markup."""

    link: str
    title: str | None = None
    published_at: datetime | None = None  # timezone-aware UTC
    summary: str | None = None
    guid: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document parsed by extractors.feeds. A bozo feed still carries what could be read."""

    entries: tuple[FeedEntry, ...]
    title: str | None = None
    language: str | None = None
    bozo: bool = False
    bozo_reason: str | None = None
    skipped_entries: int = 0  # entries dropped because they had no usable link
    # The parser raised and nothing could be read: the entries are unknown, not absent, so the poll
    # must count as failed and its validators not be kept (a 304 next time would hide the entries).
    parse_failed: bool = False


class ExtractionStatus(StrEnum):
    OK = "ok"
    EMPTY = "empty"  # HTML, but no article body found
    NOT_HTML = "not_html"  # a PDF, an image, JSON...
    FAILED = "failed"  # the extractor raised


@dataclass(frozen=True, slots=True)
class Article:
    """An article body and its metadata, extracted from one HTML page."""

    url: str
    status: ExtractionStatus
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None  # timezone-aware UTC
    site_name: str | None = None
    language: str | None = None
    text: str | None = None
    error: str | None = None

    @property
    def word_count(self) -> int:
        return len(self.text.split()) if self.text else 0
