"""Parse one RSS/Atom document into a ParsedFeed of plain-text entries.

feedparser does the hard part (encodings, ill-formed XML, dates); this module turns its loose dicts into
the frozen FeedEntry contract: every string is plain text (markup stripped, entities unescaped, whitespace
collapsed, control characters removed, length-capped) and every entry has an absolute http(s) link.
Nothing here raises on bad input: a feed a producer broke still yields what could be read.
"""

from __future__ import annotations

import calendar
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from extractors.models import FeedEntry, ParsedFeed
from extractors.urls import resolve_link

__all__ = ["parse_feed", "plain_text"]

TITLE_MAX = 500
SUMMARY_MAX = 2000
AUTHOR_MAX = 300
GUID_MAX = 1000
LANGUAGE_MAX = 35  # the longest BCP 47 tag anyone uses
BOZO_REASON_MAX = 200
LINK_MAX = 2048  # beyond this no server or browser reliably accepts the URL

# Elements whose content is code or embedded media, never readable text.
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg"})
# Elements that separate words when rendered: their boundaries become spaces.
_BLOCK = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "pre", "section", "article", "header", "footer", "hr", "dd", "dt", "table", "figure", "figcaption"}
)  # fmt: skip
# Control characters (C0 but tab/newline/CR, DEL, C1), zero-width space and word joiner, BOM, bidi
# embeddings/overrides/isolates (they can make a title render reversed), lone surrogates.
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_MARKUP_LEFT = re.compile(r"<(?=[A-Za-z/!?])")


class _TextCollector(HTMLParser):
    """Collects the text content of an HTML fragment; character references are decoded by HTMLParser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROP_CONTENT:
            self._skip_depth += 1
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:  # <br/>, <hr/>; a self-closed <script/> has no content to skip
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROP_CONTENT:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in _BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def plain_text(value: object, max_length: int) -> str | None:
    """Plain, single-line, length-capped text from feed markup; None when nothing readable is left.

    Stripping is repeated because feeds double-escape: `&lt;b&gt;` is markup once unescaped. A `<` that
    still opens something tag-like after that is removed, so a consumer that forgets to escape cannot
    turn the text back into markup.
    """
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value)
    for _ in range(3):
        if "<" not in text and "&" not in text:
            break
        text = _strip_markup(text)
    text = _MARKUP_LEFT.sub("", text)
    text = " ".join(text.split())
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text or None


def parse_feed(content: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a fetched feed document. `url` is the final URL it was fetched from (the base for relative
    links); `headers` are the response headers (Content-Type carries the charset). Never raises."""
    response_headers = {key.lower(): value for key, value in (headers or {}).items()}
    # Without a Content-Type feedparser decodes as it would with no headers at all, except that any
    # header (we always pass Content-Location) makes it assume ISO-8859-1 and flag the feed bozo.
    # application/xml restores the no-header behaviour: XML declaration, BOM, else UTF-8.
    response_headers.setdefault("content-type", "application/xml")
    # The fetch URL is the base unless the server named another absolute http(s) location for the body.
    location = urljoin(url, response_headers.get("content-location", ""))
    response_headers["content-location"] = location if urlsplit(location).scheme in ("http", "https") else url
    try:
        # BytesIO, not bytes: feedparser treats a bare string as a path or URL to open.
        parsed = feedparser.parse(io.BytesIO(content), response_headers=response_headers)
    except Exception as exc:  # feedparser is meant not to raise; one bad document must not stop a run
        return ParsedFeed(entries=(), bozo=True, bozo_reason=_reason(exc))

    base = response_headers["content-location"]
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    skipped = 0
    for raw in parsed.get("entries", []):
        link = _entry_link(raw, base)
        if link is None:
            skipped += 1
            continue
        if link in seen:
            continue
        seen.add(link)
        entries.append(_entry(raw, link))

    feed = parsed.get("feed", {})
    bozo = bool(parsed.get("bozo"))
    return ParsedFeed(
        entries=tuple(entries),
        title=plain_text(feed.get("title"), TITLE_MAX),
        language=plain_text(feed.get("language"), LANGUAGE_MAX),
        bozo=bozo,
        bozo_reason=_reason(parsed.get("bozo_exception")) if bozo else None,
        skipped_entries=skipped,
    )


def _strip_markup(text: str) -> str:
    collector = _TextCollector()
    try:
        collector.feed(text)
        collector.close()
    except Exception:  # HTMLParser is lenient but not guaranteed total; fall back to a blunt strip
        return unescape(re.sub(r"<[^>]*>?", " ", text))
    return "".join(collector.parts)


def _entry_link(raw: Mapping[str, Any], base: str) -> str | None:
    """The entry's absolute http(s) link, resolved against the feed URL; None when it has none."""
    candidates = [raw.get("link")]
    candidates += [
        item.get("href") for item in raw.get("links", []) if item.get("rel", "alternate") == "alternate"
    ]
    for candidate in candidates:
        if not isinstance(candidate, str) or not candidate.strip():
            continue
        try:
            link = resolve_link(candidate, base)
            parts = urlsplit(link)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            continue
        if len(link) > LINK_MAX or _CONTROL.search(link) or any(c.isspace() for c in link):
            continue
        if parts.scheme in ("http", "https") and parts.hostname:
            return link
    return None


def _entry(raw: Mapping[str, Any], link: str) -> FeedEntry:
    summary = raw.get("summary")
    if not summary and raw.get("content"):
        summary = raw["content"][0].get("value")
    return FeedEntry(
        link=link,
        title=plain_text(raw.get("title"), TITLE_MAX),
        published_at=_utc(raw.get("published_parsed")) or _utc(_own(raw, "updated_parsed")),
        summary=plain_text(summary, SUMMARY_MAX),
        guid=_identifier(raw.get("id")),
        author=plain_text(raw.get("author"), AUTHOR_MAX),
    )


def _own(raw: Mapping[str, Any], key: str) -> Any:
    """raw[key] if the entry has it. feedparser answers a missing updated_parsed with published_parsed
    and a DeprecationWarning; its `in` does not."""
    return raw[key] if key in raw else None  # noqa: SIM401 -- .get() is what maps and warns


def _identifier(value: object) -> str | None:
    """An id is an opaque key, not prose: only control characters and surrounding space go."""
    if not isinstance(value, str):
        return None
    return _CONTROL.sub("", value).strip()[:GUID_MAX] or None


def _utc(parsed: object) -> datetime | None:
    """feedparser's struct_time (already normalised to UTC) as an aware datetime."""
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, OSError, ValueError):  # year 0 or 99999 from a broken date string
        return None


def _reason(exc: object) -> str:
    """A short, plain-text account of why the feed is bozo (messages can quote the feed's own bytes)."""
    reason = f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else str(exc)
    # SAX names its input "<unknown>"; the position is what helps
    return plain_text(reason.replace("<unknown>:", "line "), BOZO_REASON_MAX) or type(exc).__name__
