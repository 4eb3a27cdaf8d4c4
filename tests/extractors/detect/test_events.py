"""Trade events: type, parties, day, place and CAMEO code per the dev set's labelling rules."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.detect.events import CAMEO, find_events
from extractors.detect.models import EventType, TradeEvent
from extractors.detect.sentences import split_sentences

THURSDAY = date(2025, 6, 12)
Row = tuple[str, tuple[str, ...], date | None, str | None]  # type, parties, date, location


def _events(text: str, published: date = THURSDAY) -> list[TradeEvent]:
    return find_events(split_sentences(text), published)


def _summary(text: str, published: date = THURSDAY) -> list[Row]:
    return [(e.type.value, e.parties, e.date, e.location) for e in _events(text, published)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # talks: a place after "in", a day after "on"; the host capital is where, not who
        (
            "Trade negotiators from Japan and the United States met in Geneva on Tuesday.",
            [("talks", ("JPN", "USA"), date(2025, 6, 10), "Geneva")],
        ),
        (
            "Officials from Canada and Mexico held trade talks in Washington last week.",
            [("talks", ("CAN", "MEX"), None, "Washington")],
        ),
        # a capital as subject is a party
        (
            "Beijing imposed export controls on graphite on Monday.",
            [("export_control", ("CHN",), date(2025, 6, 9), None)],
        ),
        # several partners named together: one bilateral agreement each
        (
            "Britain signed trade agreements with Chile, Peru and Colombia on Friday.",
            [
                ("agreement", ("CHL", "GBR"), date(2025, 6, 6), None),
                ("agreement", ("GBR", "PER"), date(2025, 6, 6), None),
                ("agreement", ("COL", "GBR"), date(2025, 6, 6), None),
            ],
        ),
        # a state is not an event
        ("Steel from Brazil faces a 50% tariff.", []),
        # a threatened rate is a statement, dated by the statement, not by the threatened start
        (
            "Trump said on Monday he would impose a 40% tariff on Thai goods from September 1.",
            [("statement", ("THA", "USA"), date(2025, 6, 9), None)],
        ),
        # counter-tariffs are retaliation only; an export ban in retaliation is an export control
        (
            "Ottawa retaliated on Friday with 25% counter-tariffs on American steel.",
            [("retaliation", ("CAN", "USA"), date(2025, 6, 6), None)],
        ),
        (
            "In retaliation, China banned exports of gallium to the United States on Monday.",
            [("export_control", ("CHN", "USA"), date(2025, 6, 9), None)],
        ),
        (
            "The U.S. Court of International Trade ruled on Wednesday that the tariffs were unlawful.",
            [("legal_ruling", ("USA",), date(2025, 6, 11), None)],
        ),
        # a truce takes in the tariff cuts it agrees
        (
            "Washington and Beijing agreed on Monday to a 90-day truce, cutting tariffs on both sides.",
            [("truce", ("CHN", "USA"), date(2025, 6, 9), None)],
        ),
        # the wire dateline is where the story was filed
        (
            "SEOUL (Wire) - Japan and China held trade talks on Tuesday.",
            [("talks", ("CHN", "JPN"), date(2025, 6, 10), None)],
        ),
        # not trade, not events
        ("The central bank cut rates on Thursday.", []),
        ("Unions ended their spring wage talks with a 5% pay rise.", []),
        # a headline restates the story's events
        ("China hits back with tariffs on US farm goods", []),
    ],
)
def test_sentence_events(text: str, expected: list[Row]) -> None:
    assert _summary(text) == expected


def test_reaction_takes_the_counterpart_from_the_measure_it_answers() -> None:
    text = "Japan imposed anti-dumping duties on Korean steel on Monday. Seoul called the move regrettable."
    assert _summary(text) == [
        ("tariff_action", ("JPN", "KOR"), date(2025, 6, 9), None),
        ("statement", ("JPN", "KOR"), None, None),
    ]


def test_unnamed_subject_takes_the_previous_sentence_party() -> None:
    text = "Indonesia raised tariffs on steel on Monday. The ministry also imposed export curbs on nickel."
    assert _summary(text)[-1] == ("export_control", ("IDN",), None, None)


def test_same_act_told_twice_is_one_event() -> None:
    text = (
        "India and the European Union signed a trade deal on Friday. "
        "The deal was signed after years of talks on market access."
    )
    assert [(e.type, e.parties) for e in _events(text)] == [(EventType.AGREEMENT, ("EUU", "IND"))]


def test_press_release_today_is_the_publication_day() -> None:
    published = date(2024, 3, 5)
    events = _events("The European Commission today imposed duties on bicycles from China.", published)
    assert [(e.type, e.parties, e.date) for e in events] == [
        (EventType.TARIFF_ACTION, ("CHN", "EUU"), published)
    ]


def test_cameo_code_is_fixed_per_type() -> None:
    assert set(CAMEO) == set(EventType)
    text = (
        "Canada and Mexico held talks in Ottawa on Monday. Canada retaliated with counter-tariffs on Friday."
    )
    assert [(e.type.value, e.cameo) for e in _events(text)] == [("talks", "046"), ("retaliation", "163")]
