"""Plain text from untrusted markup: the one cleaning rule for every title, name and summary we store.

Feeds and pages both hand us strings that may hold markup, entities, control characters, bidi overrides
and lone surrogates, and the warehouse passes them on to alert messages. One function, `plain_text`, so a
title from a feed and a title from the page it links to obey the same contract.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

__all__ = ["AUTHOR_MAX", "CONTROL", "LONE_SURROGATE", "TITLE_MAX", "plain_text"]

TITLE_MAX = 500
AUTHOR_MAX = 300  # also a site's name: a publication's name is no longer than a person's

# Control characters (C0 but tab/newline/CR, DEL, C1), zero-width space and word joiner, BOM, bidi
# embeddings/overrides/isolates (they can make a title render reversed), lone surrogates (not encodable
# as UTF-8: a string holding one fails the load). ZWJ/ZWNJ (U+200D/U+200C) stay: emoji sequences and
# Persian and Indic spelling need them.
CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
# In a Python str every surrogate is a lone one (a pair is one code point): valid text, but not UTF-8.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MARKUP_LEFT = re.compile(r"<+(?=[A-Za-z/!?])")  # all of "<<b": removing one "<" must not make another

# Elements whose content is code or embedded media, never readable text.
_DROP_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript", "template", "svg"})
# Elements that separate words when rendered: their boundaries become spaces.
_BLOCK = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
     "pre", "section", "article", "header", "footer", "hr", "dd", "dt", "table", "figure", "figcaption"}
)  # fmt: skip


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
    """Plain, single-line, length-capped text from markup; None when nothing readable is left.

    Stripping is repeated because feeds double-escape: `&lt;b&gt;` is markup once unescaped. Control
    characters go before stripping (so `<scr\\0ipt>` is still a script) and again after it, because an
    entity such as `&#x202E;` only becomes one when unescaped. A `<` that still opens something tag-like
    is removed last, so a consumer that forgets to escape cannot turn the text back into markup.
    """
    if not isinstance(value, str):
        return None
    text = CONTROL.sub("", value)
    for _ in range(3):
        if "<" not in text and "&" not in text:
            break
        text = _strip_markup(text)
    text = _MARKUP_LEFT.sub("", CONTROL.sub("", text))
    text = " ".join(text.split())
    if len(text) > max_length:
        text = text[: max_length - 1].rstrip() + "…"
    return text or None


def _strip_markup(text: str) -> str:
    collector = _TextCollector()
    try:
        collector.feed(text)
        collector.close()
    except Exception:  # HTMLParser is lenient but not guaranteed total; fall back to a blunt strip
        return unescape(re.sub(r"<[^>]*>?", " ", text))
    return "".join(collector.parts)
