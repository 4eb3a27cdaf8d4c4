"""The new / moved / due-soon decision over deadline reports. Pure; `today` is pinned."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from extractors.deadline_alerts import MERGED, AlertKind, KnownDeadline, reconcile
from extractors.deadline_groups import FoundDeadline
from extractors.deadline_keys import deadline_key

TODAY = date(2026, 11, 24)
K = "CHN+USA|truce"


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def _found(
    start: date, end: date | None = None, *, pub: date = TODAY, key: str = K, source: str = "s1"
) -> FoundDeadline:
    article = f"{source}-{pub.isoformat()}-{start.isoformat()}"
    return FoundDeadline(key, start, end or start, "sentence", article, source, "title", "u", _at(pub))


def _known(
    start: date, end: date | None = None, *, dated_on: date, pub: date, status: str = "upcoming"
) -> KnownDeadline:
    return KnownDeadline(K, start, end or start, dated_on, _at(pub), status=status)


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
def test_alert_decision(
    case: str, known: KnownDeadline | None, found: list[FoundDeadline], expected: list[tuple[str, int]]
) -> None:
    alerts = reconcile({K: known} if known else {}, found, TODAY, 7).alerts
    assert [(a.kind.value, (a.deadline.date_start - TODAY).days) for a in alerts] == expected


def test_reconcile_state_counts_sources_of_the_current_date_and_keeps_the_move() -> None:
    known = {K: _known(_day(12), dated_on=_day(-5), pub=_day(-5))}
    found = [
        _found(_day(102), pub=_day(-1), source="wire"),
        _found(_day(102), pub=_day(0), source="analysis"),
        _found(_day(102), pub=_day(0), source="analysis", key=K),
        _found(_day(12), pub=_day(-5), source="ministry"),
    ]
    result = reconcile(known, found, TODAY, 7)
    alerts, state = result.alerts, result.state
    assert [a.kind for a in alerts] == [AlertKind.MOVED]
    k = state[K]
    assert (k.date_start, k.previous_start, k.dated_on) == (_day(102), _day(12), TODAY)
    assert (k.source_count, k.article_count) == (2, 2)


def test_reconcile_marks_unseen_keys_passed_once_over() -> None:
    known = {K: _known(_day(-1), dated_on=_day(-20), pub=_day(-20))}
    state = reconcile(known, [], TODAY, 7).state
    assert state[K].status == "passed"
    # A key reported again on every run is not alerted again.
    again = reconcile(state, [_found(_day(-1), pub=_day(-20))], TODAY, 7).alerts
    assert again == []


def _report(sentence: str, day: date, source: str) -> FoundDeadline:
    key = str(deadline_key(sentence, day, day))
    return FoundDeadline(key, day, day, sentence, f"{source}-1", source, None, "u", _at(_day(-1)))


STEEL = [
    ("US tariffs on steel and aluminum rise to 50% on that day.", "wire"),
    (
        "The ruling leaves the Section 232 duties on steel and aluminum, due to double then, untouched.",
        "ministry",
    ),
    ("The higher duties take effect at 12:01 a.m. that day.", "analysis"),
]


def test_one_deadline_reported_by_three_outlets_in_three_ways_is_one_alert() -> None:
    found = [_report(sentence, _day(9), source) for sentence, source in STEEL]
    result = reconcile({}, found, TODAY, 7)
    assert [(a.kind, a.key, a.deadline.source_count) for a in result.alerts] == [
        (AlertKind.NEW, "USA|tariff|aluminum,steel", 3)
    ]
    assert result.seen == ["USA|tariff|aluminum,steel"]


def test_keys_found_to_be_one_deadline_merge_and_alert_once() -> None:
    # Followed apart so far (each its own alerts); a report now shows them to be one deadline.
    a, b = "USA|tariff|aluminum,steel", "CAN+USA|quota|aluminum,steel"
    known = {
        a: replace(_known(_day(5), dated_on=_day(-20), pub=_day(-20)), key=a),
        b: replace(_known(_day(5), dated_on=_day(-20), pub=_day(-20)), key=b),
    }
    found = [
        _report("US tariffs on steel and aluminum rise to 50% on that day.", _day(5), "wire"),
        _report("Canada's quota on US steel and aluminum shrinks on that day.", _day(5), "ministry"),
    ]
    result = reconcile(known, found, TODAY, 7)
    assert [(alert.kind, alert.key) for alert in result.alerts] == [(AlertKind.DUE_SOON, b)]
    assert (result.state[b].status, result.state[a].status) == ("upcoming", MERGED)
    assert result.seen == [b, a]
    # The merged key stays merged on the next run, without reports, and is never alerted.
    assert reconcile(result.state, [], TODAY, 7).alerts == result.alerts  # due soon again: the outbox dedupes
    assert reconcile(result.state, [], TODAY, 7).state[a].status == MERGED
