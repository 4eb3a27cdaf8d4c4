"""What is worth an alert when a run finds deadlines again: new, moved, due soon.

Deadline reports are grouped into deadlines (`extractors.deadline_groups`), each known by one key. Per
deadline, the report published last sets the current date range. Against what is known:

* **new**: a deadline never seen, or one whose known date is already over (a new round of the same thing);
* **moved**: the newest report's range does not overlap the known one (ranges that overlap are the same
  date said more or less precisely: the narrower one is kept, silently);
* **due_soon**: the date is within `due_soon_days`, and the date was known before that window opened (a
  deadline first reported, or moved, inside the window was just announced by its new/moved alert);
* a deadline already over when first seen, or moved into the past, is recorded and not alerted;
* a tracked key found to be another deadline's (`Group.absorbed`) is marked `merged`: kept, never alerted
  again, and out of `upcoming_deadlines`.

`due_soon` is returned on every day of the window: once-only is the outbox's job (alerts are keyed by
kind, key and date range). Pure: `today` is an argument, nothing reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from extractors.deadline_groups import FoundDeadline, group_reports
from extractors.deadline_keys import overlap

MERGED = "merged"


class AlertKind(StrEnum):
    NEW = "new"
    MOVED = "moved"
    DUE_SOON = "due_soon"


@dataclass(frozen=True, slots=True)
class KnownDeadline:
    """What the warehouse knows of a key (a `tracked_deadlines` row)."""

    key: str
    date_start: date
    date_end: date
    dated_on: date  # the day the current range was first seen
    reported_at: datetime  # publication time of the report that set the range
    previous_start: date | None = None  # the range before the last move
    previous_end: date | None = None
    sentence: str = ""
    article_id: str = ""
    title: str | None = None
    url: str = ""
    source_count: int = 0
    article_count: int = 0
    status: str = "upcoming"  # upcoming | passed | past_when_seen | merged
    label: str = ""  # for people: "USA tariff on aluminum, steel" (`Group.label`)


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    deadline: KnownDeadline  # as it stands after this run: its date, sentence, article and counts

    @property
    def key(self) -> str:
        return self.deadline.key


@dataclass(frozen=True, slots=True)
class Reconciled:
    alerts: list[Alert]
    state: dict[str, KnownDeadline]  # every key's state after the run
    seen: list[str]  # the keys whose state this run's reports set (to save)


def _newest(reports: Iterable[FoundDeadline]) -> FoundDeadline:
    # Ties (one article, or two published the same minute) go to the later date, then the article id:
    # the same input always gives the same answer.
    return max(reports, key=lambda r: (r.reported_at, r.date_end, r.date_start, r.article_id))


def _counts(reports: Sequence[FoundDeadline], start: date, end: date) -> tuple[int, int]:
    same = [r for r in reports if overlap(r.date_start, r.date_end, start, end)]
    return len({r.source_id for r in same}), len({r.article_id for r in same})


def reconcile(
    known: Mapping[str, KnownDeadline], found: Sequence[FoundDeadline], today: date, due_soon_days: int
) -> Reconciled:
    """The alerts, and the new state of every deadline found (keys not found keep their state, marked
    `passed` once their date is over). Alerts come soonest first."""
    tracked = [key for key, deadline in known.items() if deadline.status != MERGED]
    groups = {group.key: group for group in group_reports(found, tracked)}
    absorbed = {other for group in groups.values() for other in group.absorbed}
    state = {key: replace(d, status=MERGED) if key in absorbed else d for key, d in known.items()}
    alerts: list[Alert] = []
    for key in sorted(groups.keys() | known.keys()):
        group = groups.get(key)
        old = state.get(key)
        kind: AlertKind | None = None
        if group is not None:
            if old is not None and old.status == MERGED:
                old = replace(old, status="upcoming")  # a deadline told apart again: alerted before
            current, kind = _apply(key, old, _newest(group.reports), today)
            sources, articles = _counts(group.reports, current.date_start, current.date_end)
            current = replace(current, source_count=sources, article_count=articles, label=group.label)
        elif old is None or old.status == MERGED:
            continue
        else:
            current = old
        if current.date_end < today and current.status == "upcoming":
            current = replace(current, status="passed")
        if kind is None and _due_soon(current, today, due_soon_days):
            kind = AlertKind.DUE_SOON
        state[key] = current
        if kind is not None:
            alerts.append(Alert(kind, current))
    alerts.sort(key=lambda a: (a.deadline.date_start, a.deadline.date_end, a.key, a.kind.value))
    return Reconciled(alerts, state, sorted(groups.keys() | absorbed))


def _reported(deadline: KnownDeadline, report: FoundDeadline) -> KnownDeadline:
    """`deadline` as told by `report`: its sentence, article and publication time."""
    return replace(
        deadline,
        reported_at=report.reported_at,
        sentence=report.sentence,
        article_id=report.article_id,
        title=report.title,
        url=report.url,
    )


def _apply(
    key: str, old: KnownDeadline | None, newest: FoundDeadline, today: date
) -> tuple[KnownDeadline, AlertKind | None]:
    first_seen = KnownDeadline(key, newest.date_start, newest.date_end, today, newest.reported_at)
    fresh = _reported(first_seen, newest)
    if old is None or old.date_end < today <= newest.date_end:
        if newest.date_end < today:
            return replace(fresh, status="past_when_seen"), None
        return fresh, AlertKind.NEW
    if newest.reported_at < old.reported_at:
        return old, None  # an older article read late: it does not undo what a newer one said
    if overlap(old.date_start, old.date_end, newest.date_start, newest.date_end):
        if newest.date_end - newest.date_start < old.date_end - old.date_start:
            old = replace(old, date_start=newest.date_start, date_end=newest.date_end)
        return _reported(old, newest), None
    still_ahead = newest.date_end >= today
    moved = replace(
        fresh,
        previous_start=old.date_start,
        previous_end=old.date_end,
        status="upcoming" if still_ahead else "passed",
    )
    return moved, (AlertKind.MOVED if still_ahead else None)


def _due_soon(deadline: KnownDeadline, today: date, days: int) -> bool:
    opens = deadline.date_start - timedelta(days=days)
    return deadline.status == "upcoming" and opens <= today <= deadline.date_end and deadline.dated_on < opens
