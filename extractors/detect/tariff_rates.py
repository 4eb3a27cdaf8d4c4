"""Which percentages in a sentence are tariff rates, and how they relate to each other.

A number is a tariff rate when the grammar ties it to a tariff noun: the noun right after it ("a 25%
tariff"), the noun earlier in the same clause with nothing between that makes the number a share, a change or
a statistic ("duties on Chinese goods to 125%"), or a list that continues an already linked rate ("40% for
Laos, 36% for Cambodia"). Rates that are only the start of a change ("from 25% to 50%", "down from 32%",
"half the 30% rate") are marked as previous rates instead of rates of their own. "Tariff-free", "zero
tariffs" and a removed tariff are rate 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from extractors.detect.tariff_lexicon import (
    AFTER_BLOCK,
    BLOCKERS,
    CHANGE_AMOUNT,
    HEDGES,
    MONETARY,
    NUMBER_WORDS,
    RATE_QUALIFIER,
    STRONG_NOUN,
    WEAK_NOUN,
    without_domestic_charges,
)


@dataclass(slots=True)
class RateMention:
    value: float
    start: int
    end: int
    previous: float | None = None
    is_previous: bool = False  # only the starting point of a change: not a figure of its own
    change_to: bool = False  # "rise to 50%" with no stated start: the start comes from earlier figures
    zero_cue: bool = False  # tariff-free, zero tariffs, a removed tariff


_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if w != "zero"), key=len, reverse=True))
_SUFFIX = r"(?:\s?%|[\s-]?per[\s-]?cent\b|[\s-]?percent\b|\s?pc\b)"
_PCT = re.compile(
    rf"(?<![\w.,])(?:(?P<minus>minus |-)?"
    rf"(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d{{1,3}},\d{{1,2}}(?!\d)|\d+(?:\.\d+)?)"
    rf"|(?P<word>{_WORDS}))(?P<suffix>{_SUFFIX})",
    re.IGNORECASE,
)
# The bare first end of a range whose second end carries the sign ("ten to twenty percent", "20-30%").
_RANGE_HEAD = re.compile(
    rf"(?:(?<![\w.,])(\d{{1,3}}(?:\.\d+)?|{_WORDS})\s*(?:to|-|\u2013)|\bbetween\s+(\d{{1,3}}(?:\.\d+)?|{_WORDS})\s+and)\s*$",
    re.IGNORECASE,
)
_FRACTION = re.compile(r"\ba (quarter|third|half) of (?:their|its|the) (?:customs )?value\b", re.IGNORECASE)
_FRACTIONS = {"quarter": 25.0, "third": 33.3, "half": 50.0}
_ZERO = re.compile(
    r"\b(?:tariff|duty)[- ]free\b|\b(?:zero|no)[- ](?:\w+\s+)?(?:tariffs?|duties|levies)\b"
    r"|\b(?P<prep>to|from|at) zero\b",
    re.IGNORECASE,
)
_REMOVAL = re.compile(
    r"\b(?:remov(?:e|es|ed|ing)|eliminat(?:e|es|ed|ing)|lift(?:s|ed|ing)?|scrap(?:s|ped|ping)?"
    r"|abolish(?:es|ed|ing)?|drop(?:s|ped|ping)?|repeal(?:s|ed|ing)?|waiv(?:e|es|ed|ing))\b"
    r"(?P<object>(?:\s+[\w$.'\u2019%-]+){0,8}?\s+(?:counter-?tariffs?|tariffs?|duties|levies|penalty|surcharges?))\b",
    re.IGNORECASE,
)
# Duty-free entry is trade language even with no tariff noun around ("will enter the market duty-free").
_FREE_ENTRY = re.compile(
    r"\b(?:enter\w*|access|import\w*)\b[^.;]{0,40}\b(?:duty|tariff)[- ]free\b"
    r"|\b(?:duty|tariff)[- ]free (?:access|quota|entry|treatment|status)\b",
    re.IGNORECASE,
)
# Untaxed goods on sale, not a rate set by a measure: "duty-free shops", "buy tariff-free products elsewhere".
_FREE_GOODS = re.compile(
    r"\b(?:tariff|duty)[- ]free\s+(?:shops?|shopping|stores?|allowances?|sales|retailers?|purchases|items"
    r"|alternatives)\b|\b(?:find|buy|sell|source|choose|seek)\w*\s+(?:\w+\s+)?(?:tariff|duty)[- ]free\s+"
    r"(?:products|goods)\b",
    re.IGNORECASE,
)
# A removal someone asks for or sets as a condition has not happened: "wants Washington to remove tariffs",
# "removing the tariffs is a condition for any deal", "would have to eliminate all of the tariffs".
_WISHED = re.compile(
    r"\b(?:wants?|wanted|demand\w*|urg(?:e|es|ed|ing)|ask\w*|press(?:es|ed|ing)|call(?:s|ed)? (?:on|for)"
    r"|insist\w*|condition\w*|have to|has to|had to)\b",
    re.IGNORECASE,
)
# A table row ("Product | Existing | Proposed") or a list item ("- ", "\u2022 ", "1. ", "(a) ").
_ROW = re.compile(r"^\s*(?:[-\u2022*\u2013\u25aa]\s|\d{1,2}[.)]\s|\([a-z0-9]{1,3}\)\s)|^[^|]*\|")
_QUOTA = re.compile(r"\bquotas?\b", re.IGNORECASE)
_SPECULATION = re.compile(r"\b(?:chance|odds|probability|likelihood|whether|bets?)\b", re.IGNORECASE)
_NOUN_USE = re.compile(r"\b(?:a|an|the|its|their|biggest|largest|sharp|steep|sharpest)\s+$")
# "Cars, which currently face a 27.5% tariff, will be brought down to 15%": relative clause, then change.
_RELATIVE_THEN = re.compile(r"^[^,;]*,\s*(?:will|would|is|are|was|were|has|have)\b")
_PASSIVE_REMOVAL = re.compile(
    r"\b(?:tariffs?|duties|levies)\b[^;.]{0,80}?\b(?:be|been|are|were|was|is)\s+"
    r"(?:removed|eliminated|lifted|scrapped|abolished|dropped|waived)\b",
    re.IGNORECASE,
)
_BOUNDARY = re.compile(
    r";|\bwhile\b|\bwhereas\b|\bbut\b|, with\b|, as\b|\baccording to\b|—|, and\b|,\s*(?:al)?though\b"
)
_CHANGE_VERB = re.compile(
    r"\b(?:rais\w*|increas\w*|hik\w*|lift\w*|cut\w*|lower\w*|reduc\w*|slash\w*|halv\w*|doubl\w*|tripl\w*"
    r"|ris(?:e|es|ing|en)|rose|f[ae]ll\w*|drop\w*|br(?:ing|ings|ought)(?: it)? down|snap\w* back|climb\w*"
    r"|go(?:es)? up|set to|jump\w*|mov\w* up)\b",
    re.IGNORECASE,
)
_TO = re.compile(rf"(?<!\bup )\bto\s+(?:{HEDGES}\s+)*$", re.IGNORECASE)
_FROM = re.compile(r"\b(?:up |down )?from\s+(?:[\w-]+\s+){0,5}?$", re.IGNORECASE)
_RANGE_JOIN = re.compile(rf"^\s*(?:to|and|-|\u2013)\s*(?:{HEDGES}\s+)*$", re.IGNORECASE)
_RANGE_LEAD = re.compile(r"(?:\bbetween|\bof|\brang\w+ from|\bfrom)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)
_COMPARED = re.compile(
    r"\b(?:(?:lower|higher|less|more|down|up) (?:than|from)|(?:well )?(?:below|above)|half|double|twice)"
    r"\s+(?:the|a|an|its)?\s*(?:[\w-]+\s+)?$",
    re.IGNORECASE,
)
_TARIFF_VERB_AFTER = re.compile(r"^\s*(?:\w+\s+)?(?:already\s+)?(?:imposed|levied|applied|in tariffs)\b")
_CHANGE_PAIR = re.compile(rf"^[\d.]+{_SUFFIX}\s+to\s+[\d.]+{_SUFFIX}", re.IGNORECASE)
_FACE = re.compile(rf"\b(?:faces?|facing|pays?|paying|assigned|gets?)\s+(?:{HEDGES}\s+)*$", re.IGNORECASE)


def is_row(text: str) -> bool:
    """A table row or a list item."""
    return _ROW.match(text) is not None


def has_strong_noun(text: str) -> bool:
    return STRONG_NOUN.search(without_domestic_charges(text)) is not None


def find_rates(sentence: str, context: bool) -> list[RateMention]:
    """Tariff rates in `sentence`, in order. `context`: the neighbouring sentences talk about tariffs, so
    "rate", "penalty" and bare lists ("Japan 24%") count as tariff language here too."""
    sentence = without_domestic_charges(sentence)
    context = context or has_strong_noun(sentence) or _FREE_ENTRY.search(sentence) is not None
    if not context:
        return []
    candidates = _candidates(sentence)
    linked: list[RateMention] = []
    for mention in candidates:
        if mention.zero_cue or _is_linked(sentence, mention, linked, context):
            linked.append(mention)
    # The first end of a range is the rate its second end is ("hit by 15%-25% tariffs").
    for first, second in pairwise(candidates):
        if second in linked and first not in linked and _RANGE_JOIN.match(sentence[first.end : second.start]):
            linked.append(first)
    linked.sort(key=lambda r: r.start)
    _mark_changes(sentence, linked)
    _mark_removals(sentence, linked)
    return linked


def _number(text: str) -> float:
    """ "1,250" is a thousand and more; "27,5" (a comma and one or two digits) is a decimal comma."""
    head, comma, tail = text.rpartition(",")
    if comma and len(tail) <= 2:
        return float(f"{head}.{tail}")
    return float(text.replace(",", ""))


def _candidates(sentence: str) -> list[RateMention]:
    found: list[RateMention] = []
    for m in _PCT.finditer(sentence):
        # "-25%" right after a rate is the second end of a range ("15%-25%"), not a negative number.
        minus = m.group("minus")
        if minus and not (minus == "-" and sentence[: m.start()].rstrip().endswith("%")):
            continue
        start = m.start("num") if minus else m.start()
        number = m.group("num")
        value = _number(number) if number else float(NUMBER_WORDS[m.group("word").lower()])
        head = _RANGE_HEAD.search(sentence, 0, m.start())
        group = (1 if head.group(1) else 2) if head else 0
        if head and not any(f.start <= head.start(group) < f.end for f in found):
            text = head.group(group).lower()
            first = float(NUMBER_WORDS[text]) if text in NUMBER_WORDS else float(text)
            found.append(RateMention(first, head.start(group), head.end(group)))
        found.append(RateMention(value, start, m.end()))
    for m in _FRACTION.finditer(sentence):
        found.append(RateMention(_FRACTIONS[m.group(1).lower()], m.start(), m.end()))
    free_goods = [(m.start(), m.end()) for m in _FREE_GOODS.finditer(sentence)]
    for m in _ZERO.finditer(sentence):
        if any(start <= m.start() < end for start, end in free_goods):
            continue
        # "to zero"/"from zero" need a tariff link like any number; "tariff-free" and "zero tariffs" carry it.
        found.append(RateMention(0.0, m.start(), m.end(), zero_cue=m.group("prep") is None))
    return sorted(found, key=lambda r: r.start)


def _clause_before(sentence: str, position: int) -> tuple[int, str]:
    start = 0
    for b in _BOUNDARY.finditer(sentence, 0, position):
        start = b.end()
    return start, sentence[start:position]


def clause_bounds(sentence: str, position: int) -> tuple[int, int]:
    """The clause around `position`: between the boundaries (";", "while", ", with", ...) that enclose it."""
    start, _ = _clause_before(sentence, position)
    following = _BOUNDARY.search(sentence, position)
    return start, following.start() if following else len(sentence)


def _noun_spans(text: str, context: bool) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in STRONG_NOUN.finditer(text)]
    if context and not MONETARY.search(text):
        spans += [
            (m.start(), m.end())
            for m in WEAK_NOUN.finditer(text)
            if not RATE_QUALIFIER.search(text[max(0, m.start() - 40) : m.start()])
        ]
    return sorted(spans)


def _clean_gap(gap: str, max_words: int) -> bool:
    return len(gap.split()) <= max_words and BLOCKERS.search(gap) is None


def _is_linked(sentence: str, mention: RateMention, linked: list[RateMention], context: bool) -> bool:
    before, after = sentence[: mention.start], sentence[mention.end :]
    if AFTER_BLOCK.match(after) or CHANGE_AMOUNT.search(before):
        return False
    # Right: "a 25% tariff", "a 25 per cent US tariff", "the 20% already imposed".
    right = re.match(r"^\s*((?:[\w.'\u2019-]+\s+){0,3}[\w-]+)", re.sub(r"[\"\u201c\u201d]", "", after))
    if right:
        words = right.group(1).split()
        for n, word in enumerate(words):
            if any(s == 0 for s, _ in _noun_spans(word, context)):
                if BLOCKERS.search(" ".join(words[:n])) is None:
                    return True
                break
    if _TARIFF_VERB_AFTER.match(after):
        return True
    # Left: the tariff noun earlier in the same clause.
    _, clause = _clause_before(sentence, mention.start)
    spans = _noun_spans(clause, context)
    if spans and _clean_gap(clause[spans[-1][1] :], 16):
        return True
    # A rate in brackets after a name, the clause naming the tariff: "rates for the Philippines (20
    # percent), Brunei (25 percent)".
    if spans and before.rstrip().endswith("("):
        return True
    # A table row or list item in a passage about tariffs: "USA | Dow Chemical | 76.0%",
    # "- Year 3 (2022); 25 percent;".
    if context and _ROW.match(sentence) and not MONETARY.search(sentence):
        # A row's other cells are names ("Dow Chemical"), not the words that make a number a share.
        cell = sentence if "|" not in sentence else sentence[sentence.rfind("|", 0, mention.start) + 1 :]
        if not BLOCKERS.search(cell):
            return True
    # A list that continues a linked rate, or "faces 20%" in a passage about tariffs.
    if linked and linked[-1].end <= mention.start:
        gap = sentence[linked[-1].end : mention.start]
        if _clean_gap(gap, 14):
            return True
    if BLOCKERS.search(clause) or MONETARY.search(sentence) or _QUOTA.search(clause):
        return False  # with no tariff noun at hand, "quotas will be cut from 100% to 50%" is a share
    # "faces 20%" in a passage about tariffs; "from 25% to 30%" where the passage's tariffs change.
    return _FACE.search(before) is not None or _CHANGE_PAIR.match(sentence[mention.start :]) is not None


def _mark_changes(sentence: str, rates: list[RateMention]) -> None:
    for prev, cur in pairwise(rates):
        between = sentence[prev.end : cur.start]
        lead = sentence[: prev.start]
        if _RANGE_JOIN.match(between) and _RANGE_LEAD.search(lead):
            if re.search(r"\bfrom\s+(?:\w+\s+){0,2}$", lead) and not re.search(
                r"rang\w+ from\s+\S*\s*$", lead
            ):
                prev.is_previous, cur.previous = True, prev.value  # "from 25% to 50%"
            continue  # a range: both ends are rates
        if (
            _FROM.search(between)
            and ";" not in between
            and (
                re.search(r"\b(?:up|down) from", between) or _TO.search(lead) or _CHANGE_VERB.search(between)
            )
        ):
            cur.is_previous = True  # "to 125% from 104%", "6.1%, down from 100%"
            if prev.previous is None:
                prev.previous = cur.value
    for i, cur in enumerate(rates):
        lead = sentence[: cur.start]
        if _COMPARED.search(lead) and i > 0 and not rates[i - 1].is_previous:
            cur.is_previous = True  # "lower than the 25% rate", "half the 30% rate"
            if rates[i - 1].previous is None:
                rates[i - 1].previous = cur.value
            continue
        if not _TO.search(lead):
            continue
        clause_start, clause = _clause_before(sentence, cur.start)
        verbs = list(_CHANGE_VERB.finditer(clause))
        if not verbs:
            continue
        cur.change_to = cur.previous is None
        verb = verbs[-1]
        earlier = [r for r in rates[:i] if not r.is_previous and r.previous is None and not r.change_to]
        # "halve India's 150% tariff ... to 75%": the rate inside the verb's object is the start.
        inside = [r for r in earlier if clause_start + verb.end() <= r.start]
        # "Cars, which currently face a 27.5% tariff, will be brought down to the 15% rate".
        if not inside and earlier and i == rates.index(earlier[-1]) + 1:
            between = sentence[earlier[-1].end : cur.start]
            if _RELATIVE_THEN.match(between) and _CHANGE_VERB.search(between):
                inside = [earlier[-1]]
        word = verb.group(0).lower()
        if inside and cur.previous is None:
            inside[-1].is_previous, cur.previous = True, inside[-1].value
        elif cur.previous is None and word.startswith("doubl"):
            cur.previous = cur.value / 2
        elif cur.previous is None and word.startswith("halv"):
            cur.previous = cur.value * 2
        elif cur.previous is None and word.startswith("tripl"):
            cur.previous = cur.value / 3
        cur.change_to = cur.previous is None


def _mark_removals(sentence: str, rates: list[RateMention]) -> None:
    """A removed tariff is rate 0; a rate stated inside the removed tariff's phrase is its previous rate."""
    if _SPECULATION.search(sentence):
        return  # "a 35% chance that the tariffs are lifted": odds of a removal, not a removal
    for m in _REMOVAL.finditer(sentence):
        if _NOUN_USE.search(sentence[: m.start()]):
            continue  # "their biggest drop": a noun, not a removal
        lo, hi = clause_bounds(sentence, m.start())
        if _WISHED.search(sentence, lo, hi):
            continue
        obj_end = m.end()
        tail = sentence[obj_end : obj_end + 60]
        inside = [r for r in rates if m.start() < r.start and r.end <= obj_end + 25 and not r.zero_cue]
        if re.match(r"^[^.;,]*?(?<!up )\bto\s+(?:\d|zero)", tail) or any(r.change_to for r in inside):
            continue  # "lift the rate to 35%" is a raise, not a removal
        zero = RateMention(0.0, m.start(), m.end(), zero_cue=True)
        if inside:
            zero.previous = inside[0].value
            for r in inside:
                r.is_previous = True
        rates.append(zero)
    for m in _PASSIVE_REMOVAL.finditer(sentence):
        if not any(r.zero_cue and r.start <= m.end() and m.start() <= r.end for r in rates):
            rates.append(RateMention(0.0, m.start(), m.end(), zero_cue=True))
    rates.sort(key=lambda r: r.start)
