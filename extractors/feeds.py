"""Parse one RSS/Atom document into a ParsedFeed of plain-text entries.

feedparser does the hard part (encodings, ill-formed XML, dates); this module turns its loose dicts into
the frozen FeedEntry contract: every string is plain text (markup stripped, entities unescaped, whitespace
collapsed, control characters removed, length-capped) and every entry has an absolute http(s) link.
Nothing here raises on bad input: a feed a producer broke still yields what could be read.
"""

from __future__ import annotations

import calendar
import codecs
import io
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from extractors.models import FeedEntry, ParsedFeed
from extractors.text import AUTHOR_MAX, CONTROL, LONE_SURROGATE, TITLE_MAX, plain_text
from extractors.urls import resolve_link

__all__ = ["parse_feed"]

SUMMARY_MAX = 2000
GUID_MAX = 1000
LANGUAGE_MAX = 35  # the longest BCP 47 tag anyone uses
BOZO_REASON_MAX = 200
LINK_MAX = 2048  # beyond this no server or browser reliably accepts the URL

# A numeric character reference, decimal or hex. feedparser's fallback parser calls chr() on its number
# and encodes the result: a surrogate or a number past U+10FFFF raises out of feedparser.parse() and the
# whole feed is lost (https://github.com/kurtmckee/feedparser/issues/599), so such references are
# rewritten before feedparser sees the document.
_CHARREF = re.compile(r"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_REPLACEMENT_REF = "&#xFFFD;"
# A surrogate encoded as if it were a character (CESU-8): not UTF-8, and feedparser then decodes the
# whole feed as windows-1252, so one bad character would garble every title.
_UTF8_SURROGATE = re.compile(rb"\xed[\xa0-\xbf][\x80-\xbf]")
_UTF8_REPLACEMENT = "\ufffd".encode()
# Encodings in which the reference's ASCII bytes are not ASCII: the document is repaired as text.
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_WIDE_PREFIXES = (
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)


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
    document, repaired = repair_characters(content)
    try:
        # BytesIO, not bytes: feedparser treats a bare string as a path or URL to open.
        parsed = feedparser.parse(io.BytesIO(document), response_headers=response_headers)
    except Exception as exc:  # feedparser is meant not to raise; one bad document must not stop a run
        # parse_failed, unlike an empty feed, tells the caller that the entries are unknown, not absent
        failure = f"feedparser raised {_reason(exc)}"[:BOZO_REASON_MAX]
        return ParsedFeed(entries=(), bozo=True, bozo_reason=failure, parse_failed=True)

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
    if parsed.get("bozo"):
        reason: str | None = _reason(parsed.get("bozo_exception"))
    elif repaired:  # well-formed only once repaired: the producer's feed is still broken
        reason = f"replaced {repaired} invalid character(s): references to no XML character, lone surrogates"
    else:
        reason = None
    return ParsedFeed(
        entries=tuple(entries),
        title=plain_text(feed.get("title"), TITLE_MAX),
        language=plain_text(feed.get("language"), LANGUAGE_MAX),
        bozo=reason is not None,
        bozo_reason=reason,
        skipped_entries=skipped,
    )


def repair_characters(content: bytes) -> tuple[bytes, int]:
    """The document with every character reference that names no XML character replaced, and how many
    were. NUL, surrogates and numbers past U+10FFFF become U+FFFD (as an HTML parser reads them); the
    other C0 controls go, as plain_text would drop them anyway, which also lets the strict XML parser
    read a document it would otherwise leave to feedparser's weaker fallback.

    Surrogates as raw code units go too, in UTF-8 (CESU-8 bytes) and in UTF-16/32, where a lone one
    makes the decoding fail and the feed read as nothing.
    """
    codec = _wide_codec(content)
    if codec is not None:
        try:
            text = content.decode(codec, "surrogatepass")
        except UnicodeDecodeError:  # truncated, or not this codec after all: feedparser decides
            return content, 0
        text, references = _repair_references(text)
        text, surrogates = LONE_SURROGATE.subn("\ufffd", text)
        return (text.encode(codec), references + surrogates) if references or surrogates else (content, 0)
    references = surrogates = 0
    # ISO-2022 (its multi-byte runs start with ESC $) uses "&" and "#" as halves of two-byte
    # characters; leave those documents be.
    if b"&#" in content and b"\x1b$" not in content:
        # Latin-1 maps every byte to one character and back, and references are ASCII in every
        # ASCII-compatible encoding, so this rewrites the references and no other byte.
        text, references = _repair_references(content.decode("latin-1"))
        if references:
            content = text.encode("latin-1")
    # Only in a document that is UTF-8 but for them: elsewhere these bytes are ordinary characters.
    if _UTF8_SURROGATE.search(content) and _utf8_but_surrogates(content):
        content, surrogates = _UTF8_SURROGATE.subn(_UTF8_REPLACEMENT, content)
    return content, references + surrogates


def _repair_references(text: str) -> tuple[str, int]:
    repaired = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal repaired
        hex_digits, decimal_digits = match[1], match[2]
        digits = (hex_digits or decimal_digits).lstrip("0")
        # int() of thousands of digits is slow (and refused past 4,300); eight already pass U+10FFFF
        number = 0x110000 if len(digits) > 8 else int(digits or "0", 16 if hex_digits else 10)
        if _is_xml_char(number):
            return match[0]
        repaired += 1
        return "" if 0 < number < 0x20 else _REPLACEMENT_REF

    return _CHARREF.sub(replace, text), repaired


def _is_xml_char(number: int) -> bool:
    """XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets)."""
    return (
        number in (0x9, 0xA, 0xD)
        or 0x20 <= number <= 0xD7FF
        or 0xE000 <= number <= 0xFFFD
        or 0x10000 <= number <= 0x10FFFF
    )


def _wide_codec(content: bytes) -> str | None:
    """UTF-16 or UTF-32, by byte order mark or by the zero bytes around the document's first `<`."""
    for prefixes in (_WIDE_BOMS, _WIDE_PREFIXES):
        for prefix, codec in prefixes:
            if content.startswith(prefix):
                return codec
    return None


def _utf8_but_surrogates(content: bytes) -> bool:
    try:
        content.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return False
    return True


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
        if len(link) > LINK_MAX or CONTROL.search(link) or any(c.isspace() for c in link):
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
    return CONTROL.sub("", value).strip()[:GUID_MAX] or None


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
