"""Detection of one article: text and publication day in, tariffs, deadlines and events out."""

from __future__ import annotations

from datetime import date

from extractors.detect.deadlines import find_deadlines
from extractors.detect.events import find_events
from extractors.detect.languages import reading_language
from extractors.detect.models import Detection
from extractors.detect.sentences import split_sentences
from extractors.detect.tariffs import find_tariffs


def detect(text: str, published: date, language: str | None = None) -> Detection:
    """`published` anchors every relative or year-less date ("a July 9 deadline", "within 30 days").
    `language` is the article's (ISO 639-1), or None to tell from the text; a language without rules
    gives an empty Detection whose `language` is None."""
    reading = reading_language(language, text)
    if reading is None:
        return Detection(tariffs=(), deadlines=(), events=(), language=None)
    sentences = split_sentences(text)
    return Detection(
        tariffs=tuple(find_tariffs(sentences, published)),
        deadlines=tuple(find_deadlines(sentences, published)),
        events=tuple(find_events(sentences, published)),
        language=reading,
    )
