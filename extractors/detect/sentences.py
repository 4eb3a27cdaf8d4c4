"""Splitting an article body into sentences, with offsets.

A sentence ends at `.`, `!` or `?` (and any closing quotes or brackets) followed by white space and a
capital, digit or opening quote, unless the word before the period is an abbreviation that news prose
uses mid-sentence ("U.S.", "Jan.", "Mr."). A line break always ends a sentence: headlines and subheads
carry no period.
"""

from __future__ import annotations

import re

from extractors.detect.models import Sentence

# Abbreviations after which a period does not end a sentence (lower-cased, without the final period).
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "dr", "prof", "gov", "sen", "rep", "gen", "col", "lt", "sgt", "st", "jr", "sr",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "no", "nos", "vol", "art", "sec", "para", "inc", "corp", "ltd", "co", "plc", "bros",
        "vs", "v", "etc", "e.g", "i.e", "approx", "est", "dept", "min", "max", "fig",
        "u.s", "u.k", "e.u", "u.n", "u.s.a", "a.m", "p.m",
    }
)  # fmt: skip
_CLOSE = "\"'\u201d\u2019)\\]"  # straight and curly closing quotes, brackets
_OPEN = "\"'\u201c\u2018(\\["
_BOUNDARY = re.compile(rf"[.!?]+[{_CLOSE}]*(?=\s+[{_OPEN}]?[A-Z0-9])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_INITIAL = re.compile(r"(?:^|\s)[A-Z]$")  # "John F. Kennedy"


def split_sentences(text: str) -> list[Sentence]:
    """Sentences of `text` in order; blank lines and surrounding white space are dropped."""
    sentences: list[Sentence] = []
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        for boundary in _BOUNDARY.finditer(line.group()):
            end = line.start() + boundary.end()
            if _is_abbreviation(text[start : line.start() + boundary.start() + 1]):
                continue
            _append(sentences, text, start, end)
            start = end
        _append(sentences, text, start, line.end())
    return sentences


def _is_abbreviation(upto_period: str) -> bool:
    before = upto_period[:-1]
    if _INITIAL.search(before):
        return True
    word = _WORD_BEFORE.search(before)
    if word is None or not upto_period.endswith("."):
        return False
    return word.group(1).lower().rstrip(".") in _ABBREVIATIONS


def _append(sentences: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if not stripped:
        return
    offset = start + (len(chunk) - len(chunk.lstrip()))
    sentences.append(Sentence(stripped, offset, offset + len(stripped)))
