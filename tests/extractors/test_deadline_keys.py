"""The "same thing" key of a deadline, and the new / moved / due-soon decision. Pure; `today` is pinned."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from extractors.deadline_keys import (
    AlertKind,
    DeadlineKey,
    FoundDeadline,
    KnownDeadline,
    article_keys,
    deadline_key,
    diff,
    reconcile,
)

TODAY = date(2026, 11, 24)
D = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # Parties however named, sorted; the measure, not the date, nor the words around it.
        ("The tariff truce between the United States and China expires on December 6.", "CHN+USA|truce"),
        ("Beijing and Washington agreed to extend their truce to March 6.", "CHN+USA|truce"),
        ("The pause on US tariffs on Chinese goods ends on August 12.", "CHN+USA|truce"),
        # Products only for measures on goods, as the tariff lexicon names them.
        ("US tariffs on steel and aluminium rise to 50% on June 4.", "USA|tariff|aluminum,steel"),
        ("US duties on lumber will rise on October 14.", "USA|tariff|softwood lumber"),
        ("Canada will cut its surtax on US cars from May 1.", "CAN+USA|tariff-cut|autos"),
        ("China will suspend export controls on rare earths for a year.", "CHN|export-controls"),
        ("Brazil asked for WTO consultations with the United States within 60 days.", "BRA+USA|dispute"),
        ("India and the United States aim to conclude a trade deal by the autumn.", "IND+USA|talks"),
        ("The EU exemption for US lobsters lapses on July 31.", "EUU+USA|exemption|lobsters"),
        # Nothing to follow it by: anchored to its date, so it can be new but never moved.
        ("The rules take effect on December 6.", "-|other|@2026-12-06..2026-12-06"),
    ],
)
def test_key_is_what_the_sentence_is_about(sentence: str, expected: str) -> None:
    key = deadline_key(sentence, D, D)
    assert str(key) == expected
    assert DeadlineKey.parse(str(key)) == key


def test_key_ignores_the_date() -> None:
    sentence = "The tariff truce between the United States and China expires then."
    assert deadline_key(sentence, D, D) == deadline_key(sentence, date(2027, 3, 6), date(2027, 3, 6))


def test_one_article_giving_a_key_two_dates_anchors_both() -> None:
    us = ("US tariffs on Canadian steel rise on December 3.", date(2026, 12, 3), date(2026, 12, 3))
    canada = ("Canada's tariffs on US steel rise on December 4.", date(2026, 12, 4), date(2026, 12, 4))
    truce = ("The US-China truce ends on December 6.", D, D)
    keys = [str(k) for k in article_keys([us, canada, truce])]
    assert keys == [
        "CAN+USA|tariff|steel|@2026-12-03..2026-12-03",
        "CAN+USA|tariff|steel|@2026-12-04..2026-12-04",
        "CHN+USA|truce",
    ]
    assert DeadlineKey.parse(keys[0]).anchor == (date(2026, 12, 3), date(2026, 12, 3))


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _found(
    start: date, end: date | None = None, *, pub: date = TODAY, key: str = "K", source: str = "s1"
) -> FoundDeadline:
    article = f"{source}-{pub.isoformat()}-{start.isoformat()}"
    return FoundDeadline(key, start, end or start, "sentence", article, source, "title", "u", _at(pub))


def _known(
    start: date, end: date | None = None, *, dated_on: date, pub: date, status: str = "upcoming"
) -> KnownDeadline:
    return KnownDeadline("K", start, end or start, dated_on, _at(pub), status=status)


def _day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


# (case, known, found, expected alerts as (kind, start offset)). Due-soon window: 7 days.
CASES = [
    ("first sighting", None, [_found(_day(30))], [("new", 30)]),
    ("first sighting already past: recorded, silent", None, [_found(_day(-3))], []),
    ("first sighting inside the window: new, not due soon", None, [_found(_day(3))], [("new", 3)]),
    ("a range under way is still ahead", None, [_found(_day(-2), _day(5))], [("new", -2)]),
    ("two reports, the newest sets the date", None,
     [_found(_day(12), pub=_day(-5)), _found(_day(102), pub=_day(-1))], [("new", 102)]),
    ("same date again", _known(_day(30), dated_on=_day(-10), pub=_day(-10)), [_found(_day(30))], []),
    ("moved", _known(_day(12), dated_on=_day(-5), pub=_day(-5)), [_found(_day(102))], [("moved", 102)]),
    ("moved into the past: recorded, silent",
     _known(_day(12), dated_on=_day(-5), pub=_day(-5)), [_found(_day(-1))], []),
    ("overlapping range = same date, said more precisely",
     _known(_day(7), _day(16), dated_on=_day(-20), pub=_day(-20)), [_found(_day(9))], []),
    ("an older article read late does not move it back",
     _known(_day(102), dated_on=_day(-1), pub=_day(-1)), [_found(_day(12), pub=_day(-5))], []),
    ("due soon: known before the window opened", _known(_day(7), dated_on=_day(-20), pub=_day(-20)), [],
     [("due_soon", 7)]),
    ("not yet due soon", _known(_day(8), dated_on=_day(-20), pub=_day(-20)), [], []),
    ("moved into the window last week: its moved alert said it",
     _known(_day(5), dated_on=_day(-2), pub=_day(-2)), [], []),
    ("over: no due soon", _known(_day(-1), dated_on=_day(-20), pub=_day(-20)), [], []),
    ("the old date is over, a new one appears: new round",
     _known(_day(-30), dated_on=_day(-60), pub=_day(-60), status="passed"), [_found(_day(335))],
     [("new", 335)]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "known", "found", "expected"), CASES, ids=[c[0] for c in CASES])
def test_diff(
    case: str, known: KnownDeadline | None, found: list[FoundDeadline], expected: list[tuple[str, int]]
) -> None:
    alerts = diff({"K": known} if known else {}, found, TODAY, 7)
    assert [(a.kind.value, (a.deadline.date_start - TODAY).days) for a in alerts] == expected


def test_reconcile_state_counts_sources_of_the_current_date_and_keeps_the_move() -> None:
    known = {"K": _known(_day(12), dated_on=_day(-5), pub=_day(-5))}
    found = [
        _found(_day(102), pub=_day(-1), source="wire"),
        _found(_day(102), pub=_day(0), source="analysis"),
        _found(_day(102), pub=_day(0), source="analysis", key="K"),
        _found(_day(12), pub=_day(-5), source="ministry"),
    ]
    alerts, state = reconcile(known, found, TODAY, 7)
    assert [a.kind for a in alerts] == [AlertKind.MOVED]
    k = state["K"]
    assert (k.date_start, k.previous_start, k.dated_on) == (_day(102), _day(12), TODAY)
    assert (k.source_count, k.article_count) == (2, 2)


def test_reconcile_marks_unseen_keys_passed_once_over() -> None:
    known = {"K": _known(_day(-1), dated_on=_day(-20), pub=_day(-20))}
    _, state = reconcile(known, [], TODAY, 7)
    assert state["K"].status == "passed"
    # A key reported again on every run is not alerted again.
    again = reconcile(state, [_found(_day(-1), pub=_day(-20))], TODAY, 7)[0]
    assert again == []
