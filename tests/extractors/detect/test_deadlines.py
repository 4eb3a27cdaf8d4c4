from datetime import date

import pytest

from extractors.detect.deadlines import find_deadlines
from extractors.detect.sentences import split_sentences

# A Wednesday.
PUBLISHED = date(2025, 6, 11)


def _ranges(text: str, published: date = PUBLISHED) -> list[tuple[date, date]]:
    return [(d.date_start, d.date_end) for d in find_deadlines(split_sentences(text), published)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The new duties on solar glass take effect on July 15.", [(date(2025, 7, 15), date(2025, 7, 15))]),
        ("The tariff truce expires on 2 September.", [(date(2025, 9, 2), date(2025, 9, 2))]),
        ("Both sides aim to finish the trade talks by October.", [(date(2025, 10, 1), date(2025, 10, 31))]),
        ("The quota regime is set to lapse in late August.", [(date(2025, 8, 21), date(2025, 8, 31))]),
        ("The levy will double in 2027.", [(date(2027, 1, 1), date(2027, 12, 31))]),
        ("Importers must pay the deposits within 20 days.", [(date(2025, 7, 1), date(2025, 7, 1))]),
        (
            "A 30-day grace period for the export rules began on Monday.",
            [(date(2025, 7, 9), date(2025, 7, 9))],
        ),
        # A letter threatening a rate from a day is a deadline.
        ("A letter said a 40% tariff would apply from August 4.", [(date(2025, 8, 4), date(2025, 8, 4))]),
        # The context can come from the neighbouring sentence.
        (
            "Ottawa announced new steel tariffs. The measures take effect in 10 days.",
            [(date(2025, 6, 21), date(2025, 6, 21))],
        ),
        # Two things due on one day are one deadline.
        (
            "The duty on pipes rises on July 1. The duty on valves also rises on July 1.",
            [(date(2025, 7, 1), date(2025, 7, 1))],
        ),
    ],
)
def test_deadlines_found(text: str, expected: list[tuple[date, date]]) -> None:
    assert _ranges(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Past dates and the publication day itself.
        "The anti-dumping duties took effect on June 2.",
        "The export ban applies from today.",
        # Superseded dates.
        "The tariff increase, originally due on July 1, has been scrapped.",
        "Officials instead of raising the levy on Friday kept it at 10%.",
        "The July 20 deadline for the tariff deal was extended.",
        # Meetings, hearings, visits and calls.
        "Trade ministers will meet in Geneva on June 30.",
        "The trade commission will hold a public hearing on July 8.",
        "The two leaders will discuss tariffs by phone on Friday.",
        # Hedged or unknown starts.
        "A tariff ruling could come as early as next month.",
        "Goods shipped before that date must be entered within 30 days to avoid the duty.",
        # Dates outside trade.
        "The cup final will be played on July 5.",
        "The central bank is expected to cut rates by September.",
        "Polls close in the election on November 4.",
    ],
)
def test_not_deadlines(text: str) -> None:
    assert _ranges(text) == []


def test_postponed_date_gives_way_to_the_new_one() -> None:
    text = "Washington postponed the tariff increase from July 1 to September 1."
    assert _ranges(text) == [(date(2025, 9, 1), date(2025, 9, 1))]


def test_deadline_carries_its_sentence_and_a_description() -> None:
    text = "Exports rose 4%.\nThe suspension of the retaliatory tariffs expires on August 14."
    [deadline] = find_deadlines(split_sentences(text), PUBLISHED)
    assert deadline.sentence == "The suspension of the retaliatory tariffs expires on August 14."
    assert deadline.description == "suspension of the retaliatory tariffs expires"
