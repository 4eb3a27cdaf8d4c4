"""Grouping deadline reports into deadlines: worded differently, one deadline; same day, not always."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from extractors.deadline_groups import FoundDeadline, Subject, group_reports, same_deadline
from extractors.deadline_keys import deadline_key

DEC3 = date(2026, 12, 3)
DEC4 = date(2026, 12, 4)


def _report(
    sentence: str, start: date, end: date | None = None, *, n: int = 0, source: str = ""
) -> FoundDeadline:
    end = end or start
    key = str(deadline_key(sentence, start, end))
    published = datetime(2026, 11, 20, tzinfo=UTC) + timedelta(hours=n)
    return FoundDeadline(key, start, end, sentence, f"a{n}", source or f"s{n}", None, f"u{n}", published)


def _subject(sentence: str, start: date, end: date | None = None) -> Subject:
    return Subject.of(str(deadline_key(sentence, start, end or start)), sentence, start, end or start)


# One deadline, the US steel and aluminum increase of December 3, as five outlets' sentences word it.
STEEL_DEC3 = [
    "US tariffs on steel and aluminum rise to 50% on December 3.",
    "The ruling leaves the Section 232 duties on steel and aluminum, due to double on December 3, untouched.",
    "The pause does not cover US duties on Mexican steel and aluminum, which double on December 3.",
    "Steel, aluminum and copper stay under the US tariffs, 50% for steel from December 3; a quota is only "
    "under discussion.",
    "The higher duties take effect at 12:01 a.m. on December 3.",
]


def test_one_deadline_worded_five_ways_is_one_group() -> None:
    reports = [_report(s, DEC3, n=n) for n, s in enumerate(STEEL_DEC3)]
    assert len({r.key for r in reports}) >= 4  # the keys differ...
    groups = group_reports(reports)
    assert len(groups) == 1  # ...the deadline does not
    # Known by its most specific key: a followable one, of the first report.
    assert groups[0].key == "USA|tariff|aluminum,steel"
    # Labelled by what most reports say: the US, a tariff, steel and aluminum (copper is one report's).
    assert groups[0].label == "USA tariff on aluminum, steel"


def test_same_day_same_party_different_thing_stays_apart() -> None:
    canada = _report("Canada's surtax on US steel and aluminum rises to 50% on December 4.", DEC4, n=0)
    wto = _report(
        "Under WTO rules, the United States has until December 4 to reply to the request.", DEC4, n=1
    )
    assert len(group_reports([canada, wto])) == 2


def test_different_parties_on_one_day_stay_apart() -> None:
    mexico = _report("Mexico's tariffs on Chinese cars rise on December 31.", date(2026, 12, 31), n=0)
    eu = _report("The EU's tariffs on US whiskey rise on December 31.", date(2026, 12, 31), n=1)
    assert len(group_reports([mexico, eu])) == 2


def test_a_vague_report_joins_the_one_deadline_it_fits_and_never_bridges_two() -> None:
    vague = _report("The new duties take effect on December 31.", date(2026, 12, 31), n=2)
    mexico = _report("Mexico's tariffs on Chinese cars rise on December 31.", date(2026, 12, 31), n=0)
    eu = _report("The EU's tariffs on US whiskey rise on December 31.", date(2026, 12, 31), n=1)
    assert sorted(len(g.reports) for g in group_reports([vague, mexico])) == [2]
    assert sorted(len(g.reports) for g in group_reports([vague, mexico, eu])) == [1, 1, 1]


def test_vague_reports_of_one_day_group_together() -> None:
    a = _report("The new duties take effect on May 1.", date(2027, 5, 1), n=0)
    b = _report("The higher tariffs apply from May 1.", date(2027, 5, 1), n=1)
    assert len(group_reports([a, b])) == 1
    # Saying nothing of the measure is no sign of sameness.
    c = _report("The rules take effect on May 1.", date(2027, 5, 1), n=2)
    d = _report("Applications close on May 1.", date(2027, 5, 1), n=3)
    assert len(group_reports([c, d])) == 2


def test_a_followable_key_on_another_date_is_the_same_deadline_moved() -> None:
    before = _subject("The US-China tariff truce expires on December 6.", date(2026, 12, 6))
    after = _subject("Washington and Beijing extended their truce to March 6.", date(2027, 3, 6))
    assert same_deadline(before, after)
    # A key too coarse to follow is not: two WTO deadlines of the US are two deadlines.
    first = _subject("The United States must answer the WTO panel by December 6.", date(2026, 12, 6))
    second = _subject("The United States must answer the WTO panel by March 6.", date(2027, 3, 6))
    assert not same_deadline(first, second)


def test_a_date_said_loosely_is_the_same_date_but_a_wide_range_is_not() -> None:
    exact = _subject("The US tariff truce with China ends on July 9.", date(2027, 7, 9))
    early = _subject(
        "The pause on US tariffs on China expires in early July.", date(2027, 7, 1), date(2027, 7, 10)
    )
    year = _subject("China and the US want a trade deal this year.", date(2026, 11, 24), date(2026, 12, 31))
    deal = _subject("A US-China trade deal could be signed on December 31.", date(2026, 12, 31))
    assert same_deadline(exact, early)
    assert not same_deadline(year, deal)


def test_a_tracked_key_names_the_group_and_other_tracked_keys_are_absorbed() -> None:
    reports = [_report(s, DEC3, n=n) for n, s in enumerate(STEEL_DEC3)]
    tracked = [reports[3].key, reports[2].key, "CHN+USA|truce"]
    (group,) = group_reports(reports, tracked)
    assert group.key == min(reports[3].key, reports[2].key)
    assert group.absorbed == (max(reports[3].key, reports[2].key),)


def test_grouping_does_not_depend_on_the_order_of_reports() -> None:
    reports = [_report(s, DEC3, n=n) for n, s in enumerate(STEEL_DEC3)]
    reports.append(_report("Canada's surtax on US steel and aluminum rises to 50% on December 4.", DEC4, n=9))
    forward = {(g.key, frozenset(g.reports)) for g in group_reports(reports)}
    backward = {(g.key, frozenset(g.reports)) for g in group_reports(list(reversed(reports)))}
    assert forward == backward and len(forward) == 2
