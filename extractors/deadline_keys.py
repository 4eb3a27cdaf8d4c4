"""The key of a deadline report: what its sentence says the deadline is about, never its date.

Deadlines are stored per article as a date range, a description and the sentence; the key is read from
the sentence:

* **parties**: the countries and blocs the sentence names (ISO3 via `find_parties`, sorted, unique), so
  "the United States and China", "Beijing and Washington" and "US-Chinese" all give `CHN+USA`;
* **measure**: the first cue found in this order, from the most specific to the most generic:
  `export-controls`, `truce` (pause, suspension, reprieve, put off), `exemption` (relief, remission,
  waiver), `quota`, `review`, `dispute` (WTO consultations, panels, complaints, courts), `tariff-cut`,
  `tariff` (increases, tariffs taking effect), `talks` (negotiations, deals, agreements), else `other`.
  "extend their tariff truce" is a truce, not a tariff;
* **products**, only for measures on goods (`tariff`, `tariff-cut`, `exemption`, `quota`), as the tariff
  lexicon names them, sorted: the US tariff on steel and the US tariff on lumber are two deadlines.

A key is written `CHN+USA|truce` or `USA|tariff|aluminum,steel`. Such a key is *followable*: reports of
it on other dates are the same deadline at a new date (it moved). A key is anchored to its date range
instead (`-|other|@2026-05-01..2026-05-01`), so that it can be new but never moved, when it is too coarse
to follow:

* the sentence names no party and no product ("the rules take effect on May 1");
* its measure is `dispute` or `other`: "USA|dispute" is every WTO case and court ruling about the US, and
  two of them on two dates are two deadlines, not one that moved;
* one article gives the key two dates that do not overlap (the US increase on the 3rd, Canada's on the
  4th, in sentences each naming both): both are anchored (`article_keys`).

Reports with different keys can still be one deadline: `extractors.deadline_groups` decides that.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

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
        (
            "truce",
            r"\b(?:truce|pause[ds]?|pausing|suspen(?:d|ds|ded|sion)|reprieve|ceasefire|put off|extension)\b",
        ),
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
GOODS_MEASURES = frozenset({"tariff", "tariff-cut", "exemption", "quota"})
_UNFOLLOWED_MEASURES = frozenset({"dispute", "other"})


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
    def followable(self) -> bool:
        return self.anchor is None

    @property
    def label(self) -> str:
        """For people: "CHN/USA truce", "USA tariff on aluminum, steel", "USA" (no measure named), ""."""
        measure = "" if self.measure == "other" else self.measure.replace("-", " ")
        text = " ".join(part for part in ("/".join(self.parties), measure) if part)
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
    products = products_in(sentence) if measure in GOODS_MEASURES else ()
    followable = bool(parties or products) and measure not in _UNFOLLOWED_MEASURES
    anchor = None if followable else (date_start, date_end)
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
        if any(not overlap(*a, *b) for i, a in enumerate(spans) for b in spans[i + 1 :])
    }
    return [
        replace(key, anchor=(start, end)) if key in coarse else key
        for key, (_, start, end) in zip(keys, deadlines, strict=True)
    ]


def overlap(a_start: date, a_end: date, b_start: date, b_end: date) -> bool:
    return a_start <= b_end and b_start <= a_end
