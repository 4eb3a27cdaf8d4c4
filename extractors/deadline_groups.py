"""Which deadline reports are one deadline, across articles, outlets and runs.

Articles word one deadline differently. On the day the US steel and aluminum tariffs rose, one sentence
was about the court ruling that spared them, another about the pause that left them out, a third about a
quota: their keys (`extractors.deadline_keys`) differ, the deadline does not. So reports are grouped.

Two reports are the same deadline (`same_deadline`) when

* they share a followable key, whatever their dates: the deadline moved (a truce extended from
  December 6 to March 6 is one truce); or
* they fall on the same date (ranges that overlap, neither wider than `SAME_DATE_MAX_DAYS`: "early July"
  and "July 9", not "later this year" and "December 31") and their subjects agree:
  - if both name parties, they share one;
  - if both name products, they share one, and then the measure words do not matter ("US tariffs on
    steel rise on the 3rd" and "steel stays under the tariffs, with only a quota to discuss, from the
    3rd");
  - otherwise they share a party (or one of them is vague, below), and their measures are of one family
    (on goods: tariff, tariff cut, exemption, quota, and any report naming products; legal: dispute,
    review; else the same measure). `other`, no cue at all, agrees with nothing: a soybean purchase and a
    chip export rule, both "by the end of the year", are two deadlines.

A *vague* report names neither parties nor products ("The higher duties take effect on December 3"): it
must name the very day to agree with anything ("from early next month" agrees with nothing).

Grouping (`group_reports`) joins same-deadline reports transitively, with one exception: a vague report
joins a group only if it agrees with exactly one, so that it never bridges two deadlines; vague reports
that agree with no group group among themselves.

In doubt, two groups: a false "same" loses an alert, a false "different" sends a duplicate. `make eval`
(`bench/eval_sameness.py`) scores the rules on hand-labelled pairs.

A group is known by one key, its `key`: a key already tracked, if the group holds one, so that a deadline
keeps its identity, its alerts and its first-seen day from run to run; else the key of its first report
among the most specific (followable first, then naming parties or products). Tracked keys a group also
holds are `absorbed`: two deadlines followed apart until a report showed them to be one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from extractors.deadline_keys import GOODS_MEASURES, DeadlineKey, overlap, products_in

SAME_DATE_MAX_DAYS = 31
_FAMILIES = {measure: "goods" for measure in GOODS_MEASURES} | {"dispute": "legal", "review": "legal"}


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
class Subject:
    """What a report is about, as far as sameness goes."""

    key: DeadlineKey
    parties: frozenset[str]
    products: frozenset[str]  # named in the sentence, whatever the measure
    start: date
    end: date

    @classmethod
    def of(cls, key: str, sentence: str, start: date, end: date) -> Subject:
        parsed = DeadlineKey.parse(key)
        return cls(parsed, frozenset(parsed.parties), frozenset(products_in(sentence)), start, end)

    @property
    def vague(self) -> bool:
        return not (self.parties or self.products)


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    reports: tuple[FoundDeadline, ...]
    subjects: tuple[Subject, ...]  # the reports', in the same order
    absorbed: tuple[str, ...] = ()  # other tracked keys found to be this deadline

    @property
    def label(self) -> str:
        """For people, by the reports' majority: the family of measures most of them name and its most named
        measure, the parties named by most of those naming parties, and for a measure on goods the products
        named by most reports ("USA tariff on aluminum, steel", though the key may come from a sentence
        about a quota)."""
        measures = [s.key.measure for s in self.subjects if s.key.measure != "other"] or ["other"]
        family = _most_named([_family(m) for m in measures])
        measure = _most_named([m for m in measures if _family(m) == family])
        parties = _named_by_most([s.parties for s in self.subjects if s.parties])
        products = _named_by_most([s.products for s in self.subjects]) if measure in GOODS_MEASURES else ()
        return DeadlineKey(parties, measure, products, None).label


def _most_named(votes: list[str]) -> str:
    """The value named most often; ties go to the one named first."""
    counts = Counter(votes)
    return max(counts, key=lambda value: (counts[value], -votes.index(value)))


def _named_by_most(voters: list[frozenset[str]]) -> tuple[str, ...]:
    """The values named by more than half of the voters, sorted."""
    counts = Counter(value for names in voters for value in names)
    return tuple(sorted(value for value, count in counts.items() if 2 * count > len(voters)))


def same_date(a: Subject, b: Subject) -> bool:
    if a.vague or b.vague:  # saying little, a report must at least name the very day
        return a.start == a.end == b.start == b.end
    narrow = max((a.end - a.start).days, (b.end - b.start).days) < SAME_DATE_MAX_DAYS
    return narrow and overlap(a.start, a.end, b.start, b.end)


def _family(measure: str) -> str:
    return _FAMILIES.get(measure, measure)


def _families(subject: Subject) -> set[str]:
    """The measure's family; and a report naming products is about goods, whatever its verb."""
    measure = subject.key.measure
    named = set() if measure == "other" else {_family(measure)}
    return named | {"goods"} if subject.products else named


def same_subject(a: Subject, b: Subject) -> bool:
    if a.parties and b.parties and not a.parties & b.parties:
        return False
    if a.products and b.products:
        return bool(a.products & b.products)
    concrete = bool(a.parties & b.parties) or a.vague or b.vague  # something shared, or nothing to compare
    return concrete and bool(_families(a) & _families(b))


def same_deadline(a: Subject, b: Subject) -> bool:
    """The pairwise rule of the module docstring (without the vague-report exception, a grouping matter)."""
    if a.key == b.key and a.key.followable:
        return True
    return same_date(a, b) and same_subject(a, b)


class _Union:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def _same_date_pairs(subjects: Sequence[Subject]) -> list[tuple[int, int]]:
    """Index pairs whose dates overlap, by a sweep over start dates (not all n² pairs)."""
    order = sorted(range(len(subjects)), key=lambda i: (subjects[i].start, subjects[i].end))
    pairs = []
    for n, i in enumerate(order):
        if (subjects[i].end - subjects[i].start).days >= SAME_DATE_MAX_DAYS:
            continue  # too wide to be the same date as anything
        for j in order[n + 1 :]:
            if subjects[j].start > subjects[i].end:
                break
            if same_date(subjects[i], subjects[j]):
                pairs.append((i, j))
    return pairs


def group_reports(reports: Sequence[FoundDeadline], tracked: Collection[str] = ()) -> list[Group]:
    """The reports grouped into deadlines (see the module docstring), each group known by one key;
    `tracked` are the keys the warehouse already follows. Deterministic: groups come sorted by key."""
    subjects = [Subject.of(r.key, r.sentence, r.date_start, r.date_end) for r in reports]
    union = _Union(len(reports))
    by_key: dict[str, int] = {}
    for i, (report, subject) in enumerate(zip(reports, subjects, strict=True)):
        if subject.key.followable:
            union.join(by_key.setdefault(report.key, i), i)
    agree: dict[int, list[int]] = {i: [] for i in range(len(reports))}
    for i, j in _same_date_pairs(subjects):
        if same_subject(subjects[i], subjects[j]):
            agree[i].append(j)
            agree[j].append(i)
    vague = {i for i, s in enumerate(subjects) if s.vague}
    for i, others in agree.items():
        for j in others:
            if i not in vague and j not in vague:
                union.join(i, j)
    alone = set()
    for i in sorted(vague):
        matches = {union.find(j) for j in agree[i] if j not in vague}
        if len(matches) == 1:
            union.join(i, matches.pop())
        elif not matches:
            alone.add(i)
    for i in sorted(alone):
        for j in agree[i]:
            if j in alone:
                union.join(i, j)
    members: dict[int, list[int]] = {}
    for i in range(len(reports)):
        members.setdefault(union.find(i), []).append(i)
    groups = (_group([(reports[i], subjects[i]) for i in items], tracked) for items in members.values())
    return sorted(groups, key=lambda g: g.key)


def _group(members: list[tuple[FoundDeadline, Subject]], tracked: Collection[str]) -> Group:
    reports = tuple(report for report, _ in members)
    subjects = tuple(subject for _, subject in members)
    known = sorted({r.key for r in reports}.intersection(tracked))
    if known:
        return Group(known[0], reports, subjects, tuple(known[1:]))
    first, _ = min(
        members, key=lambda m: (not m[1].key.followable, m[1].vague, m[0].reported_at, m[0].article_id)
    )
    return Group(first.key, reports, subjects)
