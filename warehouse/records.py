"""What a load step takes: extractor results tied to the source, run and time they belong to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from extractors.detect.models import Detection
from extractors.models import Article, FeedEntry, FetchResult, ParsedFeed, Validators


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A configured source and its state after this run's poll."""

    source_id: str
    name: str
    feed_url: str
    country: str | None
    language: str | None
    enabled: bool
    validators: Validators = field(default_factory=Validators)
    last_polled_at: datetime | None = None
    last_outcome: str | None = None


@dataclass(frozen=True, slots=True)
class FeedPoll:
    """One poll of one feed. `fetch.body` is dropped once parsed: polls are kept, feed bytes are not."""

    source_id: str
    fetched_at: datetime
    fetch: FetchResult
    feed: ParsedFeed | None
    new_entries: int = 0

    @property
    def outcome(self) -> str:
        """The fetch's outcome (`extractors.models.FetchOutcome`), or `unparseable` when the feed came back
        and its parser could read nothing of it: a failure, not an empty feed."""
        if self.feed is not None and self.feed.parse_failed:
            return "unparseable"
        return self.fetch.outcome.value

    @property
    def failed(self) -> bool:
        return self.outcome not in ("ok", "not_modified")


@dataclass(frozen=True, slots=True)
class PendingArticle:
    """A feed entry chosen for fetching: new, or an earlier transient failure to try again."""

    article_id: str
    canonical_url: str
    source_id: str
    entry: FeedEntry
    language: str | None  # the source's configured language, used when the page does not say
    previous_attempts: int = 0


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """A pending article after fetch, extraction and detection. `article` is None when the fetch failed;
    `fetch.body` is dropped once the page is compressed into `body_gzip`."""

    pending: PendingArticle
    fetched_at: datetime
    fetch: FetchResult
    article: Article | None
    detection: Detection | None = None
    body_gzip: bytes | None = None
    size_bytes: int = 0  # of the page as served
