"""Extract an article's body and metadata from one fetched page with trafilatura.

`extract_article` is a plain top-level function of plain arguments, so flows can ship it to a process
pool. It never raises: a page that is not HTML, has no article body, or breaks trafilatura comes back as
an Article with the matching ExtractionStatus and an `error` saying why.
"""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime

from lxml.html import HtmlElement
from trafilatura import bare_extraction, load_html
from trafilatura.settings import Document

from extractors.models import Article, ExtractionStatus
from extractors.text import AUTHOR_MAX, CONTROL, LONE_SURROGATE, TITLE_MAX, plain_text

__all__ = ["MIN_WORDS", "extract_article"]

# Fewer words than this is not an article: a cookie banner, a paywall stub or an error page all stay
# below it, while the shortest real news briefs (two or three sentences) are above it.
MIN_WORDS = 30
# Scripts written without spaces between words (Chinese, Japanese, Thai): each character counts as a
# word for MIN_WORDS, otherwise a whole Japanese article would count as a handful of "words".
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Thai, kana, CJK
_WORDS = re.compile(f"[{_UNSPACED}]|[^\\s{_UNSPACED}]+")

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Media types that say nothing about the body: the bytes decide.
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),  # also docx/xlsx/epub
    (b"\x1f\x8b\x08", "application/gzip"),  # a body left compressed: http.py should have decoded it
)
_SNIFF_BYTES = 1024
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_ERROR_MAX = 300
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]+)""", re.IGNORECASE)
# Encodings browsers decode as windows-1252 whatever the label says (WHATWG Encoding Standard).
_WINDOWS_1252_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"})
_LANGUAGE = re.compile(r"([A-Za-z]{2})(?:[-_][A-Za-z0-9-]*)?")
# Machine-readable publication timestamps; used only to add a time of day to trafilatura's date.
_PUBLISHED_META = (
    "//meta[@property='article:published_time' or @name='article:published_time'"
    " or @property='og:article:published_time' or @itemprop='datePublished'"
    " or @name='parsely-pub-date' or @name='sailthru.date' or @name='publish-date']/@content"
)
_JSONLD_PUBLISHED = re.compile(r'"datePublished"\s*:\s*"([^"]{10,40})"')


def extract_article(
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    fallback_published_at: datetime | None = None,
    fallback_language: str | None = None,
) -> Article:
    """Extract the article in `body`, fetched from `url` with response header `content_type`.

    The fallbacks (typically from the feed entry) fill `published_at` and `language` when the page
    itself does not say. Never raises.
    """
    not_html = _not_html_reason(body, content_type)
    if not_html:
        return Article(url=url, status=ExtractionStatus.NOT_HTML, error=not_html)
    try:
        return _extract(body, url, content_type, _aware_utc(fallback_published_at), fallback_language)
    except Exception as exc:  # trafilatura and lxml can fail in many ways on hostile pages
        error = f"{type(exc).__name__}: {exc}"
        return Article(url=url, status=ExtractionStatus.FAILED, error=error[:_ERROR_MAX])


def _extract(
    body: bytes,
    url: str,
    content_type: str | None,
    fallback_published_at: datetime | None,
    fallback_language: str | None,
) -> Article:
    tree = load_html(_decode(body, content_type))
    if tree is None:
        return Article(url=url, status=ExtractionStatus.EMPTY, error="no HTML document could be parsed")
    document = bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        include_comments=False,
        # tables carry the tariff schedules and quota figures trade news is about
        include_tables=True,
        # htmldate's extensive search turns a footer's "© 2024" into 2024-01-01; the feed's date
        # (the fallback) is better than that guess
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if not isinstance(document, Document):  # None: trafilatura found no body (or discarded it)
        return Article(
            url=url,
            status=ExtractionStatus.EMPTY,
            published_at=fallback_published_at,
            language=_page_language(tree) or fallback_language,
            error="no article body found",
        )

    text = _normalise_text(document.text)
    words = len(_WORDS.findall(text))
    return Article(
        url=url,
        status=ExtractionStatus.OK if words >= MIN_WORDS else ExtractionStatus.EMPTY,
        # titles reach alert messages: plain text under the same rule and cap as a feed's titles
        title=plain_text(document.title, TITLE_MAX),
        author=plain_text(document.author, AUTHOR_MAX),
        published_at=_published_at(document.date, tree) or fallback_published_at,
        site_name=plain_text(document.sitename, AUTHOR_MAX),
        language=_language(document.language) or _page_language(tree) or fallback_language,
        text=text if words >= MIN_WORDS else None,
        error=None if words >= MIN_WORDS else f"only {words} words of body text (minimum {MIN_WORDS})",
    )


def _not_html_reason(body: bytes, content_type: str | None) -> str | None:
    """Why `body` is not an HTML page, or None if it is (or may be)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in _HTML_TYPES and media_type not in _GENERIC_TYPES:
        return f"not HTML: {media_type[:_ERROR_MAX]}"
    head = body[:_SNIFF_BYTES].lstrip()
    for magic, sniffed in _MAGIC:
        if head.startswith(magic):  # servers mislabel PDFs and images as text/html too
            return f"not HTML: {sniffed} (sniffed)"
    if media_type in _GENERIC_TYPES:
        if head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"["):
            return "not HTML: application/json (sniffed)"
        if b"\x00" in head and not head.startswith(_UTF16_BOMS):
            return "not HTML: application/octet-stream (sniffed)"
    return None


def _decode(body: bytes, content_type: str | None) -> str | bytes:
    """Text of the page, or the bytes themselves when only trafilatura's charset detection can tell.

    Valid UTF-8 (but for surrogates, which become U+FFFD) is taken as UTF-8 whatever the labels say
    (mislabelled UTF-8 is common, accidental UTF-8 validity is not); then the declared charset (header,
    else <meta>) if the bytes decode with it.
    """
    for bom, codec in _BOMS:  # a byte order mark outranks every label (WHATWG "decode")
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace")
    try:
        # surrogatepass: a surrogate written as UTF-8 bytes (CESU-8) is one bad character, not a sign of
        # another codec; refusing it would have the whole page decoded as mojibake
        text = body.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        pass
    else:
        return LONE_SURROGATE.sub("\ufffd", text)
    for charset in (_header_charset(content_type), _meta_charset(body)):
        if not charset:
            continue
        charset = "windows-1252" if charset in _WINDOWS_1252_LABELS else charset
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body


def _header_charset(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").lower() or None
    return None


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return match.group(1).decode("ascii").lower() if match else None


def _published_at(date: str | None, tree: HtmlElement) -> datetime | None:
    """trafilatura's publication date as aware UTC, with the time of day when the page's own
    machine-readable timestamp agrees on the day. A date alone is taken as midnight UTC."""
    if not date:
        return None
    try:
        day = datetime.strptime(date[:10], "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    for stamp in _timestamps(tree):
        # a timestamp without an offset could be any time zone, so only an explicit one refines
        if stamp.tzinfo is not None and stamp.date() == day.date():
            return stamp.astimezone(UTC)
    return day


def _timestamps(tree: HtmlElement) -> list[datetime]:
    values = [str(value) for value in tree.xpath(_PUBLISHED_META)]
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        values += _JSONLD_PUBLISHED.findall(str(script))
    stamps = []
    for value in values:
        try:
            stamps.append(datetime.fromisoformat(value.strip()))
        except ValueError:
            continue
    return stamps


def _page_language(tree: HtmlElement) -> str | None:
    return _language(tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang"))


def _language(tag: str | None) -> str | None:
    """The two-letter primary subtag of a language tag ("en-GB" -> "en"); None if it has none."""
    match = _LANGUAGE.fullmatch(tag.strip()) if tag else None
    return match.group(1).lower() if match else None


def _aware_utc(value: datetime | None) -> datetime | None:
    """Callers' datetimes as aware UTC; a naive one is taken to be UTC already."""
    if value is None:
        return None
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _normalise_text(text: str | None) -> str:
    """One paragraph per line: whitespace collapsed within lines, blank lines dropped, and the characters
    plain_text drops (controls, bidi overrides, lone surrogates) dropped too. Markup stays: the body is
    text already, and an article quoting `<script>` is quoting it."""
    if not text:
        return ""
    lines = (" ".join(CONTROL.sub("", line).split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)
