"""Which deadlines are "the same thing", and what is worth an alert when a run finds them again.

The key
-------
Deadlines are stored per article as a date range, a description and the sentence, so identity comes from
what the sentence says, never from the date (the date is what may move):

* **parties**: the countries and blocs the sentence names (ISO3 via `find_parties`, sorted, unique), so
  "the United States and China", "Beijing and Washington" and "US-Chinese" all give `CHN+USA`;
* **measure**: the first cue found in this order, from the most specific to the most generic:
  `export-controls`, `truce` (pause, suspension, reprieve, put off), `exemption` (relief, remission,
  waiver), `quota`, `review`, `dispute` (WTO consultations, panels, complaints, courts), `tariff-cut`,
  `tariff` (increases, tariffs taking effect), `talks` (negotiations, deals, agreements), else `other`.
  "extend their tariff truce" is a truce, not a tariff;
* **products**, only for measures on goods (`tariff`, `tariff-cut`, `exemption`, `quota`), as the tariff
  lexicon names them, sorted: the US tariff on steel and the US tariff on lumber are two deadlines.

A key is written `CHN+USA|truce` or `USA|tariff|aluminum,steel`. A sentence that names no party and no
product says too little to follow a thing across articles ("the rules take effect on May 1"): its key
also holds its date range (`-|other|@2026-05-01..2026-05-01`), so it can be new, never moved, and two
unrelated vague deadlines are never taken for one that moved. Likewise, when one article gives one key
two dates that do not overlap (the US increase on the 3rd, Canada's on the 4th, in a sentence each naming
both), the key is too coarse to tell them apart there, and both are anchored to their dates
(`article_keys`).

The decision (`reconcile`, `diff`)
----------------------------------
Per key, the report published last sets the current date range. Against what is known:

* **new**: a key never seen, or one whose known date is already over (a new round of the same thing);
* **moved**: the newest report's range does not overlap the known one (ranges that overlap are the same
  date said more or less precisely: the narrower one is kept, silently);
* **due_soon**: the date is within `due_soon_days`, and the date was known before that window opened (a
  deadline first reported, or moved, inside the window was just announced by its new/moved alert);
* a deadline already over when first seen, or moved into the past, is recorded and not alerted.

`due_soon` is returned on every day of the window: once-only is the outbox's job (alerts are keyed by
kind, key and date range). Pure: `today` is an argument, nothing reads a clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from extractors.detect.places import find_parties
from extractors.detect.tariff_lexicon import PRODUCT_NAMES, PRODUCT_PATTERN

_MEASURES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        (
            "export-controls",
            r"\bexport (?:controls?|restrictions?|bans?|curbs?|licen[cs]\w*)|\bentity list\b|\blicen[cs]es? "
            r"(?:requirement|rules?)\b|\btrade blacklist\b",
        ),
        ("truce", r"\b(?:truce|pause[ds]?|pausing|suspen(?:d|ds|ded|sion)|reprieve|ceasefire|put off)\b"),
        ("exemption", r"\b(?:exempt\w*|exclusions?|remission|relief|waivers?)\b"),
        ("quota", r"\bquotas?\b"),
        ("review", r"\b(?:joint )?review\b"),
        (
            "dispute",
            r"\b(?:WTO|disputes?|consultations?|panel|complaints?|court|ruling|appeals?|lawsuits?)\b",
        ),
        (
            "tariff-cut",
            r"\b(?:cut|cuts|cutting|lower\w*|reduc\w*|remov\w*|lift\w*|eliminat\w*|scrap\w*|drop\w*)\b"
            r"(?=.*\b(?:tariffs?|dut(?:y|ies)|surtax\w*|levy|levies|counter-?tariffs?|rates?)\b)",
        ),
        (
            "tariff",
            r"\b(?:tariffs?|dut(?:y|ies)|surtax\w*|levy|levies|counter-?tariffs?|countermeasures?|"
            r"Section \d+)\b",
        ),
        ("talks", r"\b(?:talks|negotiat\w*|deal|agreement|accord|pact|round)\b"),
    )
)
_GOODS_MEASURES = frozenset({"tariff", "tariff-cut", "exemption", "quota"})


class AlertKind(StrEnum):
    NEW = "new"
    MOVED = "moved"
    DUE_SOON = "due_soon"


@dataclass(frozen=True, slots=True)
class DeadlineKey:
    parties: tuple[str, ...]
    measure: str
    products: tuple[str, ...]
    anchor: tuple[date, date] | None  # the date range, only for keys too vague to follow

    def __str__(self) -> str:
        text = f"{'+'.join(self.parties) or '-'}|{self.measure}"
        if self.products:
            text += "|" + ",".join(self.products)
        if self.anchor:
            text += f"|@{self.anchor[0].isoformat()}..{self.anchor[1].isoformat()}"
        return text

    @classmethod
    def parse(cls, text: str) -> DeadlineKey:
        """The inverse of `str(key)`."""
        parties, _, rest = text.partition("|")
        measure, _, rest = rest.partition("|")
        if rest.startswith("@"):
            products, anchor = "", rest
        else:
            products, _, anchor = rest.partition("|")
        span = None
        if anchor:
            start, _, end = anchor.removeprefix("@").partition("..")
            span = (date.fromisoformat(start), date.fromisoformat(end))
        return cls(
            tuple(parties.split("+")) if parties != "-" else (),
            measure,
            tuple(products.split(",")) if products else (),
            span,
        )

    @property
    def label(self) -> str:
        """For people: "CHN/USA truce", "USA tariff on aluminum, steel"."""
        text = " ".join(part for part in ("/".join(self.parties), self.measure.replace("-", " ")) if part)
        return text + (f" on {', '.join(self.products)}" if self.products else "")


def measure_of(sentence: str) -> str:
    return next((name for name, pattern in _MEASURES if pattern.search(sentence)), "other")


def products_in(sentence: str) -> tuple[str, ...]:
    names = {PRODUCT_NAMES[int(m.lastgroup[1:])] for m in PRODUCT_PATTERN.finditer(sentence) if m.lastgroup}
    return tuple(sorted(names))


def deadline_key(sentence: str, date_start: date, date_end: date) -> DeadlineKey:
    """The "same thing" key of a deadline reported in `sentence` (see the module docstring)."""
    parties = tuple(sorted({m.iso3 for m in find_parties(sentence)}))
    measure = measure_of(sentence)
    products = products_in(sentence) if measure in _GOODS_MEASURES else ()
    anchor = None if parties or products else (date_start, date_end)
    return DeadlineKey(parties, measure, products, anchor)


def article_keys(deadlines: Sequence[tuple[str, date, date]]) -> list[DeadlineKey]:
    """The keys of one article's deadlines, given as (sentence, date_start, date_end), in order."""
    keys = [deadline_key(*d) for d in deadlines]
    ranges: dict[DeadlineKey, list[tuple[date, date]]] = {}
    for key, (_, start, end) in zip(keys, deadlines, strict=True):
        ranges.setdefault(key, []).append((start, end))
    coarse = {
        key
        for key, spans in ranges.items()
        if any(not _overlap(*a, *b) for i, a in enumerate(spans) for b in spans[i + 1 :])
    }
    return [
        replace(key, anchor=(start, end)) if key in coarse else key
        for key, (_, start, end) in zip(keys, deadlines, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class FoundDeadline:
    """One article's report of a deadline."""

    key: str
    date_start: date
    date_end: date
    sentence: str
    article_id: str
    source_id: str
    title: str | None
    url: str
    reported_at: datetime  # publication time of the article (its fetch time when undated)


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
    status: str = "upcoming"  # upcoming | passed | past_when_seen


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    deadline: KnownDeadline  # as it stands after this run: its date, sentence, article and counts

    @property
    def key(self) -> str:
        return self.deadline.key


def _overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    return a_start <= b_end and b_start <= a_end


def _newest(reports: Iterable[FoundDeadline]) -> FoundDeadline:
    # Ties (one article, or two published the same minute) go to the later date, then the article id:
    # the same input always gives the same answer.
    return max(reports, key=lambda r: (r.reported_at, r.date_end, r.date_start, r.article_id))


def _counts(reports: Sequence[FoundDeadline], start: date, end: date) -> tuple[int, int]:
    same = [r for r in reports if _overlap(r.date_start, r.date_end, start, end)]
    return len({r.source_id for r in same}), len({r.article_id for r in same})


def reconcile(
    known: Mapping[str, KnownDeadline], found: Sequence[FoundDeadline], today: date, due_soon_days: int
) -> tuple[list[Alert], dict[str, KnownDeadline]]:
    """The alerts, and every key's new state (keys not found keep their state, marked `passed` once
    their date is over). Alerts come soonest first."""
    by_key: dict[str, list[FoundDeadline]] = {}
    for report in found:
        by_key.setdefault(report.key, []).append(report)
    state = dict(known)
    alerts: list[Alert] = []
    for key in sorted(by_key.keys() | known.keys()):
        reports = by_key.get(key, [])
        old = known.get(key)
        kind: AlertKind | None = None
        if reports:
            newest = _newest(reports)
            current, kind = _apply(old, newest, today)
            sources, articles = _counts(reports, current.date_start, current.date_end)
            current = replace(current, source_count=sources, article_count=articles)
        else:
            assert old is not None
            current = old
        if current.date_end < today and current.status == "upcoming":
            current = replace(current, status="passed")
        if kind is None and _due_soon(current, today, due_soon_days):
            kind = AlertKind.DUE_SOON
        state[key] = current
        if kind is not None:
            alerts.append(Alert(kind, current))
    alerts.sort(key=lambda a: (a.deadline.date_start, a.deadline.date_end, a.key, a.kind.value))
    return alerts, state


def diff(
    known: Mapping[str, KnownDeadline], found: Sequence[FoundDeadline], today: date, due_soon_days: int
) -> list[Alert]:
    """new / moved / due_soon alerts for the deadlines `found`, given what is `known`."""
    return reconcile(known, found, today, due_soon_days)[0]


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
    old: KnownDeadline | None, newest: FoundDeadline, today: date
) -> tuple[KnownDeadline, AlertKind | None]:
    fresh = _reported(
        KnownDeadline(newest.key, newest.date_start, newest.date_end, today, newest.reported_at), newest
    )
    if old is None or old.date_end < today <= newest.date_end:
        if newest.date_end < today:
            return replace(fresh, status="past_when_seen"), None
        return fresh, AlertKind.NEW
    if newest.reported_at < old.reported_at:
        return old, None  # an older article read late: it does not undo what a newer one said
    if _overlap(old.date_start, old.date_end, newest.date_start, newest.date_end):
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
