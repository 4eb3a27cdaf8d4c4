"""Tariff figures stated in an article: rate, previous rate, imposing and target party, products, action and
effective date.

Rates come from `tariff_rates` (which percentages are tariffs), parties from `tariff_parties`. Each rate
is read within its stretch of clause: from the previous rate (or the clause start) to the next one (or the
clause end). What a stretch leaves open is filled from the passage: the party that imposed the previous
figure, the country the passage's first tariff sentence targets, the start of a change from the last figure
of the same measure. One figure per distinct rate, imposing party, target and products.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from extractors.detect.dates import find_dates
from extractors.detect.models import DateMention, Sentence, TariffAction, TariffFigure
from extractors.detect.tariff_lexicon import PRODUCT_NAMES, PRODUCT_PATTERN
from extractors.detect.tariff_parties import (
    actors_in,
    explicit_targets,
    imposer,
    is_global,
    nearest_target_group,
    other_parties,
    sufferers,
)
from extractors.detect.tariff_rates import RateMention, clause_bounds, find_rates, has_strong_noun, is_row

# Scopes of a country-level tariff, not products of a global one.
_COUNTRY_SCOPES = {"all goods", "usmca-compliant goods", "non-usmca goods"}
# Names of a measure: the same rate under two of them is two figures ("25% reciprocal" and "25% penalty").
_MEASURE = re.compile(
    r"\b(?:reciprocal|baseline|universal|penalty|fentanyl|anti-?dumping|countervailing|safeguard|retaliatory"
    r"|counter-?tariffs?|Section \d+|secondary)\b",
    re.IGNORECASE,
)
_UNSPECIFIED = re.compile(r"\b(?:some|a range of|certain|several|various|\d[\d,]* products)\b", re.IGNORECASE)
# Cues for the action, nearest before the rate wins; order breaks ties at the same position.
_ACTION_CUES: tuple[tuple[TariffAction, re.Pattern[str]], ...] = tuple(
    (action, re.compile("|".join(cues), re.IGNORECASE))
    for action, cues in (
        (TariffAction.OTHER, (
            r"\b(?:could|would|might) have\b", r"\bhad the \w+ (?:lapsed|expired)", r"\bkeep\w*",
            r"\bremain\w*", r"\bstay\w*", r"\bretain\w*", r"\bmaintain\w*", r"\bcap\w*", r"\bleaving\b",
            r"\bruling\b", r"\bcourt\b", r"\billegal\b", r"\bcontinue to",
        )),
        (TariffAction.THREATEN, (
            r"\bthreat\w*", r"\bpropos\w*", r"\brecommend\w*", r"\bletters?\b", r"\bpost(?:ed|s)?\b",
            r"\bsocial media", r"\bpledg\w*", r"\bpromis\w*", r"\bfloated\b", r"\bwarn\w*", r"\bconsider\w*",
            r"\bintends?\b", r"\bwould\b", r"\bcould\b", r"\bplans? to", r"\bif\b", r"\bmay\b",
            r"\bsnap back",
        )),
        (TariffAction.SUSPEND, (r"\bsuspen\w*", r"\bpaus\w*")),
        (TariffAction.EXEMPT, (r"\bexempt\w*", r"\bexclu\w*")),
        (TariffAction.CUT, (
            r"\bcut\w*", r"\blower\w*", r"\breduc\w*", r"\bslash\w*", r"\bf[ae]ll\b", r"\bdrop\w*",
            r"\bhalv\w*", r"\bbr\w+ down", r"\beliminat\w*", r"\bremov\w*", r"\bscrap\w*", r"\bfree\b",
            r"\blift\w* (?:its |the )?(?:\w+ )?(?:tariffs|duties)\b",
        )),
        (TariffAction.RAISE, (
            r"\brais\w*", r"\bincreas\w*", r"\bhik\w*", r"\bdoubl\w*", r"\bris(?:e|es|ing|en)\b", r"\brose\b",
            r"\blift\w*",
        )),
        (TariffAction.IMPOSE, (
            r"\bimpos\w*", r"\blev(?:y|ied|ies)\b", r"\bslap\w*", r"\bfaces?\b", r"\bappl\w*",
            r"\bannounc\w*",
        )),
    )
)  # fmt: skip
_RIGHT_OTHER = re.compile(r"^[^;]{0,40}?\b(?:remain|stays?|in place|in force|unchanged)\b", re.IGNORECASE)
_RIGHT_THREAT = re.compile(r"\b(?:had |has )?threatened\b", re.IGNORECASE)
_EFFECT_CUE = re.compile(
    r"(?:(?:take|takes|took|taking|come|comes|came|go|goes) (?:into )?effect|effective|\bfrom"
    r"|starting(?: from)?|\bstart(?:s|ed)?(?: on)?|\bbegin(?:s|ning)?(?: on)?|kicks? in(?: on)?"
    r"|enters? into force|as of|with immediate effect|\bappl(?:y|ies) from)"
    r"\s+(?:on\s+|by\s+|at\s+[^,;%]{0,25})?$",
    re.IGNORECASE,
)
_ADJACENT = re.compile(r"^(?:\s*%|\s*per ?cent)?\s*(?:on|from|starting|effective|as of)\s+$", re.IGNORECASE)
_NEXT_EFFECT = re.compile(
    r"^(?:The|These|Those|Both|Its|Their)\s+(?:[\w-]+\s+){0,3}(?:will\s+)?(?:takes?|took|come|comes)\s+(?:into\s+)?effect",
)
_ACT_VERB = re.compile(r"\b(?:imposed|removed|raised|lowered|cut|lifted|slapped|levied|began collecting)\b")


@dataclass(slots=True)
class _Draft:
    rate: float
    previous: float | None
    imposing: str | None
    target: str | None
    products: tuple[str, ...]
    action: TariffAction
    effective: date | None
    sentence: str
    index: int
    change_to: bool
    measure: str | None


def find_tariffs(sentences: Sequence[Sentence], published: date) -> list[TariffFigure]:
    """Every tariff rate the article states, in sentence order, one figure per distinct measure."""
    texts = [s.text for s in sentences]
    strong = [has_strong_noun(t) for t in texts]
    topic = _topic_target(texts, strong)
    passage_actors = Counter(a.iso3 for text in texts for a in actors_in(text))
    drafts: list[_Draft] = []
    context = False
    for i, text in enumerate(texts):
        # The rows of a table and the items of a list keep the context of the lines that introduced them,
        # however long the list runs.
        continued = context and is_row(text) and i > 0 and is_row(texts[i - 1])
        context = any(strong[max(0, i - 2) : i + 1]) or continued
        rates = find_rates(text, context)
        live = [r for r in rates if not r.is_previous]
        dates = [d for d in find_dates(text, published) if d.date_start == d.date_end]
        for k, rate in enumerate(live):
            c_lo, c_hi = clause_bounds(text, rate.start)
            lo = max(c_lo, live[k - 1].end if k else 0)
            hi = min(c_hi, live[k + 1].start if k + 1 < len(live) else len(text))
            drafts += _figures(
                text, i, rate, (lo, hi), (c_lo, c_hi), dates, rates, topic, drafts, passage_actors
            )
        if i and _NEXT_EFFECT.match(text):
            effect = _effect_date(text, dates, 0, len(text))
            for d in drafts:
                if d.index == i - 1 and d.effective is None and effect is not None:
                    d.effective = effect
    return [_finish(d) for d in _dedupe(drafts)]


def _figures(
    text: str,
    index: int,
    rate: RateMention,
    window: tuple[int, int],
    clause: tuple[int, int],
    dates: list[DateMention],
    rates: list[RateMention],
    topic: list[str],
    earlier: list[_Draft],
    passage_actors: Counter[str],
) -> list[_Draft]:
    lo, hi = window
    stretch = text[lo:hi]
    products = _products(stretch)
    targets: list[str | None] = list(explicit_targets(text, lo, hi, rate.start))
    if not targets and "|" in text:
        # A table row: the country is its own cell ("Malaysia | Petronas | 18.3%").
        cells = text[: rate.start].split("|")[:-1]
        country = next((a.iso3 for cell in cells for a in actors_in(cell)), None)
        targets = [country] if country else []
    if not targets and is_global(text[clause[0] : clause[1]]):
        targets = [None]
    if not targets:
        targets = list(nearest_target_group(text, rate.start) or sufferers(text, rate.start))
    named = [t for t in targets if t]
    imposing = imposer(text, lo, hi, rate.start, named) or _usual_imposer(earlier, named, passage_actors)
    if not targets:
        others = other_parties(text, imposing)
        if set(products) - _COUNTRY_SCOPES:
            # A product measure is global unless the passage is about one country's goods.
            targets = [t for t in topic if t != imposing] or [None]
        elif others:
            targets = list(others)
        else:
            targets = _last_targets(earlier, imposing) or [t for t in topic if t != imposing] or [None]
    action = _action(text, rate, clause[0], hi)
    tag = _MEASURE.search(stretch)
    measure = re.sub(r"\W", "", tag.group(0).lower()) if tag else None
    effective = _effect_date(text, dates, rate.start, rate.end) or _adjacent_date(text, dates, rate, rates)
    if effective is None and action in (TariffAction.IMPOSE, TariffAction.CUT, TariffAction.RAISE):
        left = text[clause[0] : rate.start]
        if _ACT_VERB.search(left):
            effective = next((d.date_start for d in dates if clause[0] <= d.start < clause[1]), None)
    return [
        _Draft(
            rate.value,
            rate.previous,
            imposing,
            target,
            products,
            action,
            effective,
            text,
            index,
            rate.change_to,
            measure,
        )
        for target in dict.fromkeys(targets)
    ]


def _products(stretch: str) -> tuple[str, ...]:
    found: list[str] = []
    for m in PRODUCT_PATTERN.finditer(stretch):
        group = next(name for name, value in m.groupdict().items() if value is not None)
        found.append(PRODUCT_NAMES[int(group[1:])])
    if found:
        return tuple(dict.fromkeys(found))
    if _UNSPECIFIED.search(stretch):
        return ()
    return ("all goods",)


def _action(text: str, rate: RateMention, clause_start: int, hi: int) -> TariffAction:
    left = text[clause_start : rate.start]
    best: tuple[int, TariffAction] | None = None
    for action, pattern in _ACTION_CUES:
        for m in pattern.finditer(left):
            if best is None or m.end() > best[0]:
                best = (m.end(), action)
    action = best[1] if best else TariffAction.IMPOSE
    right = text[rate.end : hi]
    if _RIGHT_THREAT.search(right):
        action = TariffAction.THREATEN
    elif _RIGHT_OTHER.match(right):
        action = TariffAction.OTHER
    if rate.zero_cue and action in (TariffAction.IMPOSE, TariffAction.RAISE):
        action = TariffAction.CUT
    if rate.previous is not None and action in (TariffAction.IMPOSE, TariffAction.CUT, TariffAction.RAISE):
        action = TariffAction.RAISE if rate.value > rate.previous else TariffAction.CUT
    return action


def _effect_date(text: str, dates: list[DateMention], start: int, end: int) -> date | None:
    """The day after an effect cue ("take effect on", "starting", "from"), nearest to the rate."""
    cued = [d for d in dates if _EFFECT_CUE.search(text[max(0, d.start - 45) : d.start])]
    if not cued:
        return None
    return min(cued, key=lambda d: min(abs(d.start - end), abs(d.start - start))).date_start


def _adjacent_date(
    text: str, dates: list[DateMention], rate: RateMention, rates: list[RateMention]
) -> date | None:
    """ "could rise to 50% on July 9": a day right after the rate (or after its "from 25%")."""
    ends = [rate.end] + [r.end for r in rates if r.is_previous and 0 < r.start - rate.end < 12]
    for d in dates:
        adjacent = any(0 <= d.start - e <= 20 and _ADJACENT.match(text[e : d.start]) for e in ends)
        # "instead of raising them to 30% on Friday": a day that will not come.
        if adjacent and "instead of" not in text[max(0, rate.start - 60) : rate.start]:
            return d.date_start
    return None


def _topic_target(texts: list[str], strong: list[bool]) -> list[str]:
    """The countries the passage's first tariff sentence aims at ("duties on imports ... from China")."""
    for text, has_noun in zip(texts, strong, strict=True):
        if has_noun:
            return nearest_target_group(text, len(text))
    return []


def _last_targets(earlier: list[_Draft], imposing: str | None) -> list[str | None]:
    """The target group of the same imposer's last figure ("Canada and Mexico" both, not just one)."""
    last = next((d for d in reversed(earlier) if d.imposing == imposing and d.target), None)
    if last is None:
        return []
    return [d.target for d in earlier if d.index == last.index and d.rate == last.rate]


def _usual_imposer(earlier: list[_Draft], named: list[str], passage_actors: Counter[str]) -> str | None:
    """For a rate whose sentence names no author: the passage's usual imposer so far, else its most named
    government (other than the target)."""
    imposers = [d.imposing for d in earlier if d.imposing and d.imposing not in named]
    counts = Counter(imposers)
    if counts:
        top = max(counts.values())
        return next(i for i in reversed(imposers) if counts[i] == top)
    ranked = [iso3 for iso3, _ in passage_actors.most_common() if iso3 not in named]
    return ranked[0] if ranked else None


def _same_measure(a: _Draft, b: _Draft) -> bool:
    products_match = a.products == b.products or not a.products or not b.products
    named = a.measure is not None and b.measure is not None and a.measure != b.measure
    return a.imposing == b.imposing and a.target == b.target and products_match and not named


def _dedupe(drafts: list[_Draft]) -> list[_Draft]:
    kept: list[_Draft] = []
    for draft in drafts:
        if draft.change_to and draft.previous is None:
            start = next(
                (k.rate for k in reversed(kept) if _same_measure(k, draft) and k.rate != draft.rate), None
            )
            draft.previous = start
            if start is not None and draft.action in (TariffAction.IMPOSE,):
                draft.action = TariffAction.RAISE if draft.rate > start else TariffAction.CUT
        if any(k.rate == draft.rate and _same_measure(k, draft) for k in kept):
            continue
        kept.append(draft)
    return kept


def _finish(d: _Draft) -> TariffFigure:
    return TariffFigure(
        d.rate, d.previous, d.imposing, d.target, d.products, d.action, d.effective, d.sentence
    )
