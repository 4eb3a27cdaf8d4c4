"""Date phrases in a sentence, resolved against the article's publication date.

News writes most dates without a year ("on July 9", "from Friday", "in early August"), so each one is
resolved in the direction its clause points: "will expire on January 5" in a December article is next
January, "took effect on June 4" is the last June 4. The direction comes from the verb or preposition
nearest before the date, else from the sentence as a whole, else the nearest occurrence wins.

Vague phrases become ranges, following the dev set's conventions (tests/fixtures/detection/README.md):
"early July" is the 1st to the 10th, "in 2026" the whole year, "later this year" the day after publication
to December 31. Durations ("within 30 days", "for five years from November 10") count from an anchor day
named in the sentence, else from publication.

Only phrases built on month names, weekday names, four-digit years after a preposition, ISO dates and a
closed list of relative words are matched, so rates, amounts, section numbers and clock times are never
read as dates.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from extractors.detect.models import DateMention

Tense = Literal["past", "future"]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
                "oct": 10, "nov": 11, "dec": 12})  # fmt: skip
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
            "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
            "thirty": 30, "forty-five": 45, "sixty": 60, "ninety": 90}  # fmt: skip

# "May" is also a modal verb: as a bare month it needs a day, a year or a preposition in front.
_MONTH_FULL = r"(?:January|February|March|April|June|July|August|September|October|November|December)"
_MONTH = rf"(?:{_MONTH_FULL}|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?)(?!-)"
_ANY_MONTH = rf"(?:{_MONTH}|May)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19[5-9]\d|20\d\d|2100)"
_NUM = rf"(?:\d{{1,4}}|{'|'.join(sorted(_NUMBERS, key=len, reverse=True))})"
_UNIT = r"(?P<{}>day|week|month|year)s?"
_PART = r"(?P<{}>early|earlier|mid|middle|late|later|end|the end)"
_PREP = r"(?:in|by|until|till|through|before|after|from|since|during|of|starting|beginning|for)"

# Alternatives are tried in order at each position: the longest forms first.
_PATTERN = re.compile(
    "|".join(
        [
            r"(?P<iso>\b(?P<iy>\d{4})-(?P<im>\d\d)-(?P<id>\d\d)\b)",
            # Wednesday, June 4 / June 4, 2025 / Jan. 9
            rf"(?P<md>\b(?:(?P<md_w>{_WEEKDAY}),?\s+)?(?P<md_m>{_ANY_MONTH})\s+(?P<md_d>{_DAY})\b(?!\s*%|[.,]\d|:\d)"
            rf"(?:,?\s+(?P<md_y>{_YEAR})\b(?!-\d))?)",
            # 9 July / 30 October 2024 / 1st of August
            rf"(?P<dm>\b(?:(?P<dm_w>{_WEEKDAY}),?\s+)?(?P<dm_d>{_DAY})\s+(?:of\s+)?(?P<dm_m>{_ANY_MONTH})\b"
            rf"(?:,?\s+(?P<dm_y>{_YEAR})\b(?!-\d))?)",
            # early/mid/late/end of July [2026]
            rf"(?P<pm>\b{_PART.format('pm_p')}(?:\s+of|-|\s+)\s*(?P<pm_m>{_ANY_MONTH})\b(?:,?\s+(?P<pm_y>{_YEAR})\b)?)",
            # July 2026
            rf"(?P<my>\b(?P<my_m>{_ANY_MONTH})\s+(?P<my_y>{_YEAR})\b)",
            # early/mid/late/end of 2026
            rf"(?P<py>\b{_PART.format('py_p')}(?:\s+of|-|\s+)\s*(?P<py_y>{_YEAR})\b)",
            # (later) this/next/last year|month|week, year-end, end of the month
            r"(?P<rel>\b(?:(?P<rp>early|mid|late|later|earlier|end of)[\s-]+)?(?P<rw>this|next|last|the)"
            r"\s+(?P<ru>year|month|week)\b)",
            r"(?P<ye>\b(?:year-end|year end|end-year)\b)",
            r"(?P<day>\b(?:today|tomorrow|yesterday|tonight)\b)",
            rf"(?P<wd>\b(?:(?P<wd_rel>this|next|last)\s+)?(?P<wd_d>{_WEEKDAY})\b)",
            # in July / by May: a month alone
            rf"(?P<mo>(?:\b{_PREP}\s+(?P<mo_m>May)|\b(?P<mo_m2>{_MONTH_FULL}))\b(?!-|\s+{_DAY}\b|,?\s+{_YEAR}))",
            rf"(?P<yr>\b{_PREP}\s+(?P<yr_y>{_YEAR})\b(?!-\d|\s*%|,\d|\.\d))",
            # 90-day pause / within 30 days / 90 more days / five years
            rf"(?P<adj>\b(?P<an>{_NUM})-{_UNIT.format('au')}\b)",
            rf"(?P<dur>\b(?P<dn>{_NUM})(?:\s+more|\s+additional|\s+extra)?\s+(?!business){_UNIT.format('du')}\b"
            rf"(?P<ago>\s+ago)?)",
        ]
    )
)
# An extension runs from the end of the current period, not from publication: it is not listed.
_ADJ_PERIOD = re.compile(
    r"^(?:\s+[a-z]+){0,3}?\s+(?:pause|suspension|truce|grace period|window|reprieve|moratorium|"
    r"consultation period|transition period|deadline|exemption|waiver)"
)
_DUR_LEAD = re.compile(
    r"(?:\b(?:within|in|for|after|another|further)(?:\s+the\s+next)?\s*"
    r"|\b(?:give|gave|given|giving|gives|has|have|had|get|gets|got|grant|granted)(?:\s+[\w'\u2019.-]+){0,3}\s+)$",
    re.IGNORECASE,
)
# "over the past 30 days" looks back; "extend by another 90 days" counts from an end the text may not give.
_DUR_BLOCK = re.compile(
    r"\b(?:past|last|previous|recent|first|over|lasted|by(?:\s+(?:another|a further))?)\s*$", re.IGNORECASE
)
_DUR_FROM = re.compile(r"^\s+(?:from|after)\b")
_DUR_OF = re.compile(r"^\s+of\b")
_WITHIN = re.compile(r"\bwithin\s*$", re.IGNORECASE)
_ANCHOR_CUE = re.compile(
    r"\b(?:from|effective|starting|beginning|since|announced|agreed|signed|imposed|introduced|effect|of"
    r"|began|begins?|started|starts?)"
    r"(?:\s+on)?\s*$",
    re.IGNORECASE,
)

# An intention is forward-looking whatever the tense of its verb: "threatened to impose ... from November 1".
_INTENT = (
    r"(?:threaten|promise|pledge|vow|plan|intend|want|agree|decide|vote|aim|seek|hope|expect|propose|move"
    r"|prepare)(?:s|d|ed|ing)?(?:\s+[\w-]+){0,3}?\s+to"
)
_STRONG_FUTURE = (
    rf"{_INTENT}|will|would|shall|'ll|going to|set to|due|expires?|expiry|expiration|deadline|ultimatum|"
    r"scheduled|slated|planned|aiming|expected|expects?|next|upcoming|coming|takes? effect|taking effect|"
    r"kicks? in|kicking in|(?:comes?|coming|enters?|entering) into force|enters|begins?|starts?|ends|"
    r"lapses?|runs? out|must|need to|needs to|could|(?-i:may|might)|to be|later|remains?|ahead of|until|"
    r"phased? in"
)
_STRONG_PAST = (
    r"was|were|had|did|took|took effect|said|announced|imposed|introduced|signed|agreed|reached|ruled|"
    r"decided|approved|adopted|unveiled|threatened|raised|began|started|ended|expired|lapsed|held|met|"
    r"issued|launched|filed|last|earlier|ago|since|previously|already|came into force|entered into force|"
    r"kicked in|went into effect|fell|rose|dropped|grew|slid|jumped|climbed|surged|up from|down from|"
    r"retroactive(?:ly)?|reported"
)
_FUTURE_CUE = re.compile(rf"\b(?:{_STRONG_FUTURE})\b", re.IGNORECASE)
_PAST_CUE = re.compile(rf"\b(?:{_STRONG_PAST})\b", re.IGNORECASE)
_DURATION_TEXT = re.compile(
    rf"{_NUM}(?:-|\s+(?:more\s+|additional\s+|extra\s+)?)(?:day|week|month|year)s?(?:\s+ago)?"
)
_SURE_DAYS = 21
_RESTATED = re.compile(r",?\s*(?:until|till|through|to|on|by|ending)?\s*(?:the\s+)?", re.IGNORECASE)
_PRESENT_CUE = re.compile(r"\b(?:currently|now|at present)\b", re.IGNORECASE)
_WEAK_FUTURE = re.compile(r"\b(?:by|before|from|starting|beginning|till|through|onwards?)\s*$", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[;\u2014]|:(?=\s)|,\s+(?:while|but|and|after|as|with)\b|\bwhile\b|\bbut\b")


@dataclass(frozen=True, slots=True)
class _Raw:
    """A matched phrase before durations are anchored."""

    start: int
    end: int
    first: date
    last: date
    duration: tuple[int, str, int] | None = None  # (count, unit, sign) for durations
    needs_anchor: bool = False


def find_dates(sentence: str, published: date) -> list[DateMention]:
    """Every date phrase of `sentence`, resolved to a range, in order of appearance."""
    raws: list[_Raw] = []
    for match in _PATTERN.finditer(sentence):
        raw = _resolve(match, sentence, published)
        if raw is not None:
            raws.append(raw)
    dated = [r for r in raws if r.duration is None]
    mentions = []
    for raw in raws:
        if raw.duration is not None:
            resolved = _anchor_duration(raw, sentence, dated, published)
            if resolved is None:
                continue
            raw = resolved
        mentions.append(DateMention(raw.start, raw.end, raw.first, raw.last, sentence[raw.start : raw.end]))
    return mentions


def is_duration(mention: DateMention) -> bool:
    """Whether the mention was counted from an anchor ("within 30 days", "a 90-day pause") rather than
    named ("July 9", "next year")."""
    return _DURATION_TEXT.fullmatch(mention.text) is not None


def sentence_tense(sentence: str) -> Tense | None:
    """Whether the sentence as a whole speaks of the future or the past, by its cue words."""
    future = len(_FUTURE_CUE.findall(sentence))
    past = len(_PAST_CUE.findall(sentence))
    if future == past:
        return None
    return "future" if future > past else "past"


def direction_at(sentence: str, start: int, local: bool = False) -> Tense | None:
    """The direction a date at `start` points to: the nearest cue before it in its clause ("currently"
    means neither), else a forward-looking preposition ("by", "from"), else the sentence's tense.
    With `local`, only the clause's verbs count."""
    before = sentence[:start]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    cues: list[tuple[int, Tense | None]] = [(m.end(), "future") for m in _FUTURE_CUE.finditer(clause)]
    cues += [(m.end(), "past") for m in _PAST_CUE.finditer(clause)]
    cues += [(m.end(), None) for m in _PRESENT_CUE.finditer(clause)]
    if cues:
        return max(cues, key=lambda cue: cue[0])[1]
    if local:
        return None
    if _WEAK_FUTURE.search(clause):
        return "future"
    return sentence_tense(sentence)


def _resolve(match: re.Match[str], sentence: str, published: date) -> _Raw | None:
    kind = match.lastgroup
    g = match.group
    start, end = match.span()
    for inner in ("mo_m", "yr_y"):  # a preposition is context, not part of the phrase
        if g(inner):
            start = match.start(inner)
    direction = direction_at(sentence, start, local=kind == "wd")
    if kind == "iso":
        iso_day = _safe_date(int(g("iy")), int(g("im")), int(g("id")))
        return None if iso_day is None else _Raw(start, end, iso_day, iso_day)
    if kind in ("md", "dm"):
        month = _month(g(f"{kind}_m"))
        day_of_month = int(re.sub(r"\D", "", g(f"{kind}_d")))
        year_of_day = g(f"{kind}_y")
        if year_of_day:
            found = _safe_date(int(year_of_day), month, day_of_month)
        else:
            weekday = _WEEKDAYS[g(f"{kind}_w").lower()] if g(f"{kind}_w") else None
            found = _pick_day(month, day_of_month, published, direction, weekday)
        return None if found is None else _Raw(start, end, found, found)
    if kind in ("pm", "my", "mo"):
        month = _month(g("pm_m") or g("my_m") or g("mo_m") or g("mo_m2"))
        year_text = g("pm_y") or g("my_y")
        year = int(year_text) if year_text else _pick_month_year(month, published, direction)
        first, last = _part_of_month(year, month, g("pm_p"))
        return _Raw(start, end, first, last)
    if kind in ("py", "yr"):
        year = int(g("py_y") or g("yr_y"))
        first, last = _part_of_year(year, g("py_p"))
        if year == published.year and direction != "past" and kind == "yr":
            first = max(first, published + timedelta(days=1))
        return _Raw(start, end, first, last)
    if kind == "rel":
        return _relative(start, end, g("rp"), g("rw"), g("ru"), sentence, published)
    if kind == "ye":
        return _Raw(start, end, date(published.year, 12, 21), date(published.year, 12, 31))
    if kind == "day":
        offset = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1}[g("day").lower()]
        day = published + timedelta(days=offset)
        return _Raw(start, end, day, day)
    if kind == "wd":
        rel = (g("wd_rel") or "").lower()
        wd_direction = {"next": "future", "last": "past"}.get(rel, direction or "past")
        # "next Tuesday" in a Tuesday article is a week on, "last Tuesday" a week back; a bare "from
        # Saturday" in a Saturday article is that day.
        day = _pick_weekday(
            _WEEKDAYS[g("wd_d").lower()], published, wd_direction, strict=rel in ("next", "last")
        )
        return _Raw(start, end, day, day)
    if kind == "adj":
        if not _ADJ_PERIOD.match(sentence[end:]):
            return None
        return _Raw(start, end, published, published, (_count(g("an")), g("au"), 1))
    if kind == "dur":
        lead = sentence[:start]
        follows_from = bool(_DUR_FROM.match(sentence[end:]))
        if _DUR_BLOCK.search(lead) or not (g("ago") or follows_from or _DUR_LEAD.search(lead)):
            return None
        sign = -1 if g("ago") else 1
        # "a day after <event>" counts from that event: without its date there is nothing to count from.
        # So does "after two days of talks": a span of time, not a day.
        needs_anchor = (follows_from and not _DUR_LEAD.search(lead)) or bool(
            _DUR_OF.match(sentence[end:]) and not _WITHIN.search(lead)
        )
        return _Raw(start, end, published, published, (_count(g("dn")), g("du"), sign), needs_anchor)
    return None


def _relative(
    start: int, end: int, part: str | None, which: str, unit: str, sentence: str, published: date
) -> _Raw | None:
    which = which.lower()
    part = (part or "").lower()
    if which == "the" and (part != "end of" or unit == "week"):
        return None
    shift = {"this": 0, "the": 0, "next": 1, "last": -1}[which]
    if unit == "week":
        monday = published - timedelta(days=published.weekday()) + timedelta(weeks=shift)
        return _Raw(start, end, monday, monday + timedelta(days=6))
    if unit == "month":
        month_index = published.year * 12 + published.month - 1 + shift
        year, month = divmod(month_index, 12)
        first, last = _part_of_month(year, month + 1, part or None)
        return _Raw(start, end, first, last)
    year = published.year + shift
    if part == "later" and shift == 0:
        return _Raw(start, end, published + timedelta(days=1), date(year, 12, 31))
    first, last = _part_of_year(year, None if part == "later" else part or None)
    if shift == 0 and not part and direction_at(sentence, start) == "future":
        first = published + timedelta(days=1)
    return _Raw(start, end, first, last)


def _anchor_duration(raw: _Raw, sentence: str, dated: list[_Raw], published: date) -> _Raw | None:
    """Count a duration from the exact day the sentence names as its start ("from Monday's ruling",
    "announced on April 9", "effective Monday"), else from publication. A duration restated by its end
    ("for 12 years, until 2038") is dropped, and so is an adjectival period ("a 90-day pause") without a
    start day when the sentence gives another date: that date is its end."""
    assert raw.duration is not None
    count, unit, sign = raw.duration
    exact = [r for r in dated if r.first == r.last]
    anchors = [r for r in exact if _ANCHOR_CUE.search(sentence[max(0, r.start - 25) : r.start])]
    if any(r.start >= raw.end and _RESTATED.fullmatch(sentence[raw.end : r.start]) for r in dated):
        return None
    if not anchors and any(_restates(sentence, raw, r, published) for r in dated):
        return None
    if anchors:
        anchor = min(anchors, key=lambda r: abs(r.start - raw.start)).first
    elif direction_at(sentence, raw.start, local=True) == "past":
        return None  # "reported sales within two years": counted from a past act the text does not date
    elif raw.needs_anchor or ("-" in sentence[raw.start : raw.end] and dated):
        return None
    else:
        anchor = published
    day = _shift(anchor, count * sign, unit)
    return _Raw(raw.start, raw.end, day, day)


def _restates(sentence: str, duration: _Raw, other: _Raw, published: date) -> bool:
    """A later future day in the same clause is the period's end spelled out ("270 days to report, which
    puts the deadline at December 14"); counting from publication would only approximate it."""
    between = sentence[duration.end : other.start]
    return (
        0 <= other.start - duration.end <= 60
        and other.first == other.last
        and other.first > published
        and not _CLAUSE_BREAK.search(between.replace(", which", ""))
    )


def _shift(anchor: date, count: int, unit: str) -> date:
    if unit == "day":
        return anchor + timedelta(days=count)
    if unit == "week":
        return anchor + timedelta(weeks=count)
    months = count * (12 if unit == "year" else 1)
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(anchor.day, calendar.monthrange(year, month + 1)[1]))


def _count(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBERS[text.lower()]


def _month(text: str) -> int:
    return _MONTHS[text.lower().rstrip(".")]


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _pick_day(
    month: int, day: int, published: date, direction: Tense | None, weekday: int | None = None
) -> date | None:
    """The year of a year-less day: the one whose weekday matches when the text names it ("Friday,
    August 1"), else the first in the clause's direction, else the nearest."""
    candidates = [d for y in (published.year - 1, published.year, published.year + 1)
                  if (d := _safe_date(y, month, day)) is not None]  # fmt: skip
    matching = [d for d in candidates if d.weekday() == weekday]
    if weekday is not None and matching:
        return min(matching, key=lambda d: abs((d - published).days))
    if not candidates:
        return None
    nearest = min(candidates, key=lambda d: abs((d - published).days))
    if abs((nearest - published).days) <= _SURE_DAYS:
        return nearest  # a day within weeks of publication is that one, whatever the tense
    if direction == "future":
        return min(d for d in candidates if d >= published)
    if direction == "past":
        return max(d for d in candidates if d <= published)
    return nearest


def _pick_month_year(month: int, published: date, direction: Tense | None) -> int:
    if direction == "future":
        return published.year if month >= published.month else published.year + 1
    if direction == "past":
        return published.year if month <= published.month else published.year - 1
    offset = month - published.month  # the nearest month of that name; a tie goes forward
    return published.year + min((0, 1, -1), key=lambda years: abs(offset + 12 * years))


def _pick_weekday(weekday: int, published: date, direction: str, *, strict: bool = False) -> date:
    """Forward: the next such day, publication day included ("from Saturday" in a Saturday article) unless
    `strict`; backward likewise."""
    if direction == "future":
        return published + timedelta(days=(weekday - published.weekday()) % 7 or (7 if strict else 0))
    return published - timedelta(days=(published.weekday() - weekday) % 7 or (7 if strict else 0))


def _part_of_month(year: int, month: int, part: str | None) -> tuple[date, date]:
    last_day = calendar.monthrange(year, month)[1]
    part = (part or "").lower()
    if part in ("early", "earlier"):
        return date(year, month, 1), date(year, month, 10)
    if part in ("mid", "middle"):
        return date(year, month, 11), date(year, month, 20)
    if part in ("late", "later", "end", "the end", "end of"):
        return date(year, month, 21), date(year, month, last_day)
    return date(year, month, 1), date(year, month, last_day)


def _part_of_year(year: int, part: str | None) -> tuple[date, date]:
    part = (part or "").lower()
    if part in ("early", "earlier"):
        return date(year, 1, 1), date(year, 4, 30)
    if part in ("mid", "middle"):
        return date(year, 5, 1), date(year, 8, 31)
    if part in ("late", "later"):
        return date(year, 9, 1), date(year, 12, 31)
    if part in ("end", "the end", "end of"):
        return date(year, 12, 21), date(year, 12, 31)
    return date(year, 1, 1), date(year, 12, 31)
