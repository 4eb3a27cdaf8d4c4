"""Deadlines: days still ahead at publication by which a trade-policy matter expires, takes effect, is due
or must be concluded.

A date qualifies when it lies wholly after publication, its clause says something will change, end or be
due by then, and the sentence or a neighbouring one is about trade. Dates the text says were superseded
("postponed from July 9", "instead of raising them on Friday") and dates of meetings, hearings, visits
and votes are left out, as are hedged earliest times ("as early as next month"). The conventions are those
of tests/fixtures/detection/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from extractors.detect.dates import find_dates, is_duration
from extractors.detect.models import DateMention, Deadline, Sentence
from extractors.detect.tariff_lexicon import without_domestic_charges

_TRADE = re.compile(
    r"\b(?:tariffs?|(?<!\bhis )(?<!\bher )(?<!\bon )dut(?:y|ies)|levy|levies|surtax(?:es)?|trade|"
    r"export controls?|exports?|imports?|quotas?|safeguards?|anti-dumping|"
    r"countervailing|importers?|exporters?|border adjustment|counter-?measures|counter-tariffs|retaliat\w*|"
    r"reciprocal|customs(?! and Border Protection)|WTO|USMCA|CUSMA|"
    r"CBAM|Section \d+|entity list|rare earths?|(?:export|import) (?:ban|curbs?|licen[cs]\w*))\b",
    re.IGNORECASE,
)
# Words trade news uses for its matters that other news uses as much (a share-sale "deal", pension
# "negotiations", a management "contract"): they make a sentence about trade only next to a word above.
_GENERIC = re.compile(
    r"\b(?:talks|negotiat\w*|pause|truce|suspension|agreement|deal|pact|controls)\b", re.IGNORECASE
)
_TRADE_SHARE = 0.15
# What a short sentence leaning on its neighbours for the trade context must still say ("The rules take
# effect in 30 days."): that something starts, ends or is due.
_STRONG = re.compile(
    r"\b(?:deadline|ultimatum|expir\w*|laps\w*|(?:takes?|taking|took|comes?|into) effect|effective|"
    r"into force|kicks? in|due|ends?|runs? (?:out|until)|appl(?:y|ies)|suspension|pause|truce|rules?|"
    r"measures?|rates?|cuts?|increases?|reductions?|fees?|phas\w* in|begins?|starts?|disputes?|"
    r"consultations?|panel)\b",
    re.IGNORECASE,
)
# Cues that the date is when something changes, ends or is due ("take effect", "expire", "by", "until").
_CHANGE = re.compile(
    r"\b(?:deadline|ultimatum|expir\w*|lapse\w*|(?:takes?|taking|took|in|into) effect|effective|as of|"
    r"in(?:to)? force|kicks? in|kicking in|due|"
    r"by|until|till|before|ahead of|through|from|starting|beginning|onwards?|ends?|ending|runs? out|"
    r"closes?|set to|scheduled to|phased? in|will|would|shall|could|must|aims?|aiming|expected|plans?|"
    r"ris(?:e|es|ing)|rais\w*|lift\w*|lower\w*|cuts?|cutting|increas\w*|appl(?:y|ies|ying)|impos\w*|"
    r"start\w*|begin\w*|follow\w*|restrict\w*|doubl\w*|halv\w*|"
    r"falls? on|remain|keep|extends?|enters?|entering|phase|for \w+ (?:days|weeks|months|years))\b",
    re.IGNORECASE,
)
# A date given as when an old plan was to happen: the text has moved or dropped it.
_SUPERSEDED_BEFORE = re.compile(
    r"(?:\b(?:postponed|delayed|pushed back|deferred|moved|brought forward|shifted|extended|changed)\s+"
    r"(?:\w+\s+){0,4}?from|\binstead of\b.*|\b(?:was|were|had been)\s+(?:originally\s+)?"
    r"(?:due|set|scheduled|slated|supposed|meant|planned|expected)\b.*|"
    r"\b(?:originally|initially|previously|formerly)\b.*|"
    r"\bonce\s+(?:\w+\s+)?(?:expected|planned|scheduled|set|due|slated)\b.*|"
    r"\bhad\s+(?:said|threatened|planned|intended|proposed|wanted|hoped)\b.*"
    r"|\b(?:cancell?ed|called off|scrapped|shelved|abandoned)\b.*\b(?:planned|scheduled|set|due|slated)\s+"
    r"(?:for|on)"
    r"|\b(?:old|original|earlier|previous|initial)\s+(?:\w+\s+)?"
    r"|\b(?:extend|postpone|delay|defer|push back|move|scrap|cancel|drop)\w*\s+(?:the|its|their|a)\s+)\s*$",
    re.IGNORECASE,
)
_SUPERSEDED_AFTER = re.compile(
    r"^[^;.]{0,60}?\b(?:(?:was|were|has been|had been|have been|is being|been)\s+(?:\w+\s+)?"
    r"(?:extended|postponed|delayed|pushed back|deferred|moved|scrapped|cancell?ed|called off|dropped|"
    r"superseded|replaced|shelved|abandoned)|no longer|(?:will|would) not (?:go ahead|take effect|happen)"
    r"|won't (?:go ahead|take effect|happen))\b",
    re.IGNORECASE,
)
# Scheduled gatherings and non-trade calendars: their dates are events, not deadlines.
_GATHERING = re.compile(
    r"\b(?:meet(?:s|ing|ings)?|met|discuss\w*|hearings?|visits?|visiting|summit|talks|calls?|speak|conference|"
    r"session|votes?|voting|elections?|polls?|ballot|referendum|match|fixture|kick-off|tournament|storm|"
    r"weather|rate decision|hold|held|convene\w*|mission|trip|tour|delegation|"
    r"(?:ruling|decision|verdict|judgment)(?!\s+to\b))\b",
    re.IGNORECASE,
)
# "an October news conference": the date names the day of a gathering.
_GATHERING_AFTER = re.compile(
    r"^\s+(?:[\w-]+\s+)?(?:meeting|conference|summit|hearing|visit|vote|election|call)s?\b", re.IGNORECASE
)
# A gathering can still be due by a day ("scheduled to vote ... by early June").
_DUE = re.compile(r"\b(?:by|until|till|before|ahead of|no later than|deadline|expir\w*|due)\b", re.IGNORECASE)
_BY_MEANS = re.compile(r"\bby (?:phone|telephone|video(?:link| link| call)?|email|letter)\b", re.IGNORECASE)
# Dates of the economy, markets and politics: a trade word elsewhere in the sentence does not make them
# trade deadlines.
_NON_TRADE = re.compile(
    r"\b(?:growth|recession|inflation|GDP|gross domestic product|economy|wages|project(?:s|ed|ions?)|"
    r"unemployment|jobs|interest rates?|policy rate|rate cuts?|"
    r"cut rates|Federal Reserve|Fed|central bank|mortgage|housing|earnings|revenue|profits?|shares|"
    r"stocks?|chance|odds|probability|polls?|elections?|forecasts?|prices?|crops?|harvest|survey)\b",
    re.IGNORECASE,
)
# A period the law allows or a speaker imagines is not one that has started running.
# A habitual period ("typically requires payment within 10 days") is a rule of thumb, not a date.
_HYPOTHETICAL = re.compile(
    r"\b(?:allows?|allowed|permits?|can|could|might|up to|if|typically|usually|normally|generally)\b",
    re.IGNORECASE,
)
# "within 30 days" of a day named only as "that date": the start is not known.
_ANAPHORIC = re.compile(r"\b(?:that|this|the same) (?:date|day)\b", re.IGNORECASE)
_HEDGED = re.compile(
    r"\b(?:as (?:early|soon) as|in the coming|sometime|some time|possibly|perhaps|or later)\b[^,;]{0,12}$"
    r"|\b(?:not|never) expect",
    re.IGNORECASE,
)
_CLAUSE_START = re.compile(r"[;\u2014]|:(?=\s)|,\s+(?:while|but|and|after|as|when|which)\b|\b(?:while|but)\b")
_TRAILING_WORDS = re.compile(
    r"(?:\s+(?:on|by|until|till|from|at|in|before|after|within|for|effective|starting|as of|of|the))+\s*$",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^[A-Z][A-Z .,/'-]+(?:,[^()]{0,30})?(?:\([^)]*\))?\s*[-\u2014]\s*")
_LEAD_WORDS = re.compile(
    r"^(?:and|but|while|with|the|a|an|on|by|in|from|until|starting|effective|as|it|that)[\s,]+", re.IGNORECASE
)


def find_deadlines(sentences: Sequence[Sentence], published: date) -> list[Deadline]:
    """Trade deadlines in the article, in sentence order, one per distinct date range."""
    found: list[Deadline] = []
    seen: set[tuple[date, date]] = set()
    # In a trade story a sentence may lean on the story for its trade context; in other news it may lean
    # only on its neighbours (the same share as for events, extractors/detect/events.py).
    # A power tariff or a sugar levy is no trade context (`tariff_lexicon.NOT_BORDER_MEASURE`).
    texts = [without_domestic_charges(s.text) for s in sentences]
    trade_story = sum(bool(_TRADE.search(t)) for t in texts) >= _TRADE_SHARE * len(sentences)
    for index, sentence in enumerate(sentences):
        text = sentence.text
        near_trade = trade_story or _about_trade(texts, index)
        cued = texts[index]
        if not (_TRADE.search(cued) or ((_GENERIC.search(cued) or _STRONG.search(cued)) and near_trade)):
            continue
        mentions = find_dates(text, published)
        for index_in_sentence, mention in enumerate(mentions):
            key = (mention.date_start, mention.date_end)
            since = mentions[index_in_sentence - 1].end if index_in_sentence else 0
            if key in seen or not _is_deadline(text, mention, since, published):
                continue
            seen.add(key)
            found.append(Deadline(mention.date_start, mention.date_end, _describe(text, mention), text))
    return found


def _about_trade(texts: Sequence[str], index: int) -> bool:
    """A trade cue in the sentence or the one before or after it (its paragraph, near enough)."""
    return any(_TRADE.search(t) for t in texts[max(0, index - 1) : index + 2])


def _is_deadline(text: str, mention: DateMention, since: int, published: date) -> bool:
    """`since` is where the previous date phrase of the sentence ends: what precedes it is about that
    date ("had been set for December 6 to March 6"), except the verb that may govern both."""
    if mention.date_start <= published:
        return False  # already past, or a period that has begun ("this week")
    before = _clause_before(text, mention.start)
    near = before[max(0, since - (mention.start - len(before))) :]
    after = text[mention.end :]
    if _SUPERSEDED_BEFORE.search(near) or _SUPERSEDED_AFTER.search(after) or _HEDGED.search(before):
        return False
    plain = _BY_MEANS.sub("", before)
    gatherings = list(_GATHERING.finditer(plain))
    if (gatherings and not _DUE.search(plain[gatherings[-1].end() :])) or _GATHERING_AFTER.match(after):
        return False
    clause = before + " " + _clause_after(after)
    if _NON_TRADE.search(clause) and not _TRADE.search(clause):
        return False
    # "tariffs will reduce GDP by 0.3 percent by 2020": the date is the economy's, named after the trade word.
    economy = [m.start() for m in _NON_TRADE.finditer(before)]
    if economy and economy[-1] > max((m.start() for m in _TRADE.finditer(before)), default=-1):
        return False
    if is_duration(mention):
        return not (_HYPOTHETICAL.search(before) or _ANAPHORIC.search(text))
    # The verb may sit in an earlier clause: "will rise to 50%, and the rate on furniture to 30%, on ...".
    return bool(_CHANGE.search(clause) or _CHANGE.search(text[: mention.start]))


def _clause_before(text: str, start: int) -> str:
    before = text[:start]
    breaks = list(_CLAUSE_START.finditer(before))
    return before[breaks[-1].end() :] if breaks else before


def _clause_after(after: str) -> str:
    cut = _CLAUSE_START.search(after)
    return after[: cut.start()] if cut else after


def _describe(text: str, mention: DateMention) -> str:
    """The clause that holds the date, without the date phrase and its preposition: enough for a reader,
    never compared."""
    before = _TRAILING_WORDS.sub("", _clause_before(text, mention.start))
    clause = re.sub(r"\s+", " ", f"{before} {_clause_after(text[mention.end :])}").strip(" ,.;:\u2014-")
    clause = re.sub(r"\s*,(?:\s*,)*(?=\s)", ",", _DATELINE.sub("", clause))
    while (stripped := _LEAD_WORDS.sub("", clause).lstrip(" ,")) != clause:
        clause = stripped
    words = clause.split()
    return " ".join(words[:14]) + ("…" if len(words) > 14 else "")
