"""Detection reads only the languages it has rules for; other text is reported unread, never read as
English (issue 9)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from extractors.detect.detector import detect
from extractors.detect.languages import RULES, reading_language

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PUBLISHED = date(2025, 6, 1)

GERMAN = (
    "Die Europäische Union erhebt ab dem 1. Juli Zölle von 25 Prozent auf Stahl aus China. "
    "Die Kommission erklärte am Dienstag, die Frist für Verhandlungen laufe am 9. Juli ab."
)
FRENCH = (
    "L'Union européenne imposera des droits de douane de 25 % sur l'acier chinois à partir du 1er juillet. "
    "La Commission a indiqué mardi que le délai des négociations expire le 9 juillet."
)
SPANISH = (
    "México aplicará aranceles del 25 por ciento al acero de China a partir del 1 de julio. "
    "El plazo para las negociaciones vence el 9 de julio, dijo el martes la Secretaría de Economía."
)
ENGLISH = "The EU will impose a 25% tariff on Chinese steel from July 1, with talks due to end by July 9."


@pytest.mark.parametrize("text", [GERMAN, FRENCH, SPANISH])
def test_text_in_another_language_is_not_read_as_english(text: str) -> None:
    detection = detect(text, PUBLISHED)
    assert detection.language is None
    assert (detection.tariffs, detection.deadlines, detection.events) == ((), (), ())


def test_a_declared_language_is_trusted() -> None:
    assert detect(ENGLISH, PUBLISHED, "de").language is None  # a German page, whatever its words
    english = detect(ENGLISH, PUBLISHED, "en")
    assert english.language == "en" and english.tariffs and english.deadlines
    assert detect(ENGLISH, PUBLISHED).tariffs == english.tariffs  # undeclared: recognised as English
    assert reading_language("EN-gb", ENGLISH) == "en"


def test_every_labelled_passage_is_recognised_as_english() -> None:
    """The threshold in rules/languages.toml holds for every real and written passage, negatives too."""
    paths = sorted(FIXTURES.glob("detection/*.txt")) + sorted(FIXTURES.glob("real_news/*/*.txt"))
    assert len(paths) > 400
    unread = [p.name for p in paths if reading_language(None, p.read_text(encoding="utf-8")) != "en"]
    assert unread == []


def test_rules_are_data() -> None:
    assert set(RULES) == {"en"}
    assert RULES["en"].min_share > 0.05 and "the" in RULES["en"].function_words
