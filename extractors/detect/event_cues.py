"""Which kinds of trade event a sentence reports, from the words trade news uses for them.

A noun alone is not an event: "the USMCA trade pact" or "faces a 25% tariff" is a state of affairs. Each
type needs its act — a deal "signed" or "reached", a tariff "imposed" or "took effect", curbs "introduced" —
and an act behind a modal ("could rise", "would meet") or an intent ("aim to reach a deal") is not one.
Threats and proposals of a measure are statements, not the measure; a deal or truce takes in the tariff
cuts it contains (tests/fixtures/detection/README.md, "Events").
"""

from __future__ import annotations

import re

from extractors.detect.models import EventType
from extractors.detect.tariff_lexicon import without_domestic_charges

_I = re.IGNORECASE

# A sentence that ends like prose; headlines, subheads and datelines carry no final stop.
HEADLINE_END = re.compile(r"[.!?][\"'\u201d\u2019)\]]*$")
# "WASHINGTON, June 3 (Wire) - ", "BUSAN, South Korea (Wire) - ", "ANALYSIS - ": the place of filing.
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'\u2019-]{2,}(?:,[^()\n-]{1,40})?\s*(?:\([^)]{1,30}\))?\s*[-\u2013\u2014]+\s+"
)
# A place word right before a city or capital: "talks in London", "visit New Delhi", "flew to Mar-a-Lago".
LOCATION_BEFORE = re.compile(r"\b(?:in|at|near|to|visit|visits|visited|visiting)\s+(?:the\s+)?$")
# "a scheduled Dec. 15 imposition", "had planned to impose Dec. 15": the day of a plan, not of an act.
_PLANNED = r"|\b(?:planned|scheduled|slated|set|due)\s+(?:to\s+\w+\s+|for\s+|on\s+)?$"
# Days that mark when something starts, ends or is due, not when the act happened.
DATE_NOT_ACT = re.compile(
    r"\b(?:from|starting|until|till|through|before|expires?|expiring|lapse|deadline|due|begin|start)\s+"
    r"(?:on\s+|\d{1,2}[:.]\d{2}\s+(?:[ap]\.?m\.?\s+)?(?:on\s+)?|[A-Z][a-z]+day,?\s+)?$|\b(?:by|to|into)\s+$"
    + _PLANNED,
    _I,
)
# "the July 9 deadline": a day something was due, not an act.
DATE_NOT_ACT_AFTER = re.compile(r"\s*(?:deadline|cut-?off)\b", _I)
# For a statement, days after its complement ("said he would impose ... from August 1") belong to the
# measure threatened, not to the statement.
STATEMENT_COMPLEMENT = re.compile(r"\b(?:would|will|to|intends?|if|unless)\s+\w+", _I)
# "The two leaders met ...": the sides of the act just told.
BOTH_SIDES = re.compile(
    r"\b(?:the two|both)\s+(?:leaders|sides|countries|governments|presidents|delegations|economies)\b", _I
)
# "took effect on Thursday": the act's day only when the sentence gives no day of decision.
DATE_AFTER_EFFECT = re.compile(r"\b(?:effect|effective|force)\s+(?:\S+\s+){0,4}$", _I)
# A definite mention of an act already told ("the meeting", "The ruling covers ...").
ANAPHORIC: dict[EventType, re.Pattern[str]] = {
    kind: re.compile(rf"^(?:the|this|that|these|those)\s+(?:[\w-]+\s+){{0,2}}(?:{nouns})\b", _I)
    for kind, nouns in {
        EventType.TALKS: "talks|meetings?|negotiations|call|discussions",
        EventType.AGREEMENT: "deal|agreement|pact|accord",
        EventType.TRUCE: "truce|pause|ceasefire",
        EventType.TARIFF_ACTION: "tariffs?|duty|duties|levy|levies|increases?|cuts?|reductions?|extension",
        EventType.EXPORT_CONTROL: "curbs|controls|restrictions|ban|rules?",
        EventType.RETALIATION: "countermeasures|counter-tariffs|retaliation",
        EventType.LEGAL_RULING: "ruling|decision|judgment",
        EventType.STATEMENT: "statement|letter|threat",
    }.items()
}  # fmt: skip

# Heads of government and trade officials named without their country ("Trump signed ...").
_OFFICIALS: dict[str, str] = {
    "Trump": "USA", "Biden": "USA", "Bessent": "USA", "Lutnick": "USA", "Greer": "USA", "Vance": "USA",
    "Xi Jinping": "CHN", "Xi": "CHN", "He Lifeng": "CHN", "Li Qiang": "CHN", "Wang Wentao": "CHN",
    "Carney": "CAN", "Trudeau": "CAN", "Sheinbaum": "MEX", "Lula": "BRA", "Modi": "IND", "Goyal": "IND",
    "Ishiba": "JPN", "Kishida": "JPN", "Takaichi": "JPN", "Akazawa": "JPN", "Starmer": "GBR",
    "von der Leyen": "EUU", "\u0160ef\u010dovi\u010d": "EUU", "Sefcovic": "EUU", "Prabowo": "IDN",
    "Anwar": "MYS", "Albanese": "AUS", "Lee Jae-myung": "KOR", "Keller-Sutter": "CHE", "Parmelin": "CHE",
}  # fmt: skip
_OFFICIAL = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _OFFICIALS), key=len, reverse=True)) + r")(?![\w-])"
)

# Something that keeps a verb from being an act: a modal, a negation, a state ("remain exempt").
_NOT_ACT = (
    r"(?<!\bcould )(?<!\bwould )(?<!\bmight )(?<!\bmay )(?<!\bshould )(?<!\bnot )(?<!\bno )"
    r"(?<!\bwithout )(?<!\bcould have )(?<!\bdue to )(?<!\bremain )(?<!\bstay )(?<!-)"
)
# Within a clause: any character but a stop, though "U.S." and "35.3%" keep their periods.
_GAP = r"(?:[^.;]|\.(?=\S))"
# A verb that only names an intent or an attempt ("plans to raise", "a move to impose", "steps of halting").
_INTENT = re.compile(
    r"\b(?:move|decision|plan|bid|attempt|efforts?|threat|aims?|plans?|wants?|seeks?|hopes?|expected|likely|"
    r"set|ready|prepared|could|would|may|might|whether)\s+to\s+\w+|"
    r"\b(?:steps?|process|prospect|risk|cost) of \w+ing\b",
    _I,
)
# A measure in an if-clause has not been taken: "If the U.S. imposes a tariff, the duty is paid by ...".
_CONDITION = re.compile(r"\b(?:if|unless|whether)\b(?:[^,;.]|\.(?=\S)|(?<=\b[A-Z])\.)*", _I)
# Reported speech moves "will" back to "would": "said it would lift tariffs" reports a decision.
_REPORTED_WOULD = re.compile(r"(\b(?:said|says|announced|added)\b[^.;]*?\b)would\b", _I)
_TARIFF = (
    r"(?:tariffs?|duty|duties|levy|levies|surcharges?|import tax(?:es)?|countervailing|anti-dumping|"
    r"safeguard|security deposits?|(?:the|tariff|duty|reciprocal|its) rates? on|import ban|deadline for)"
)
# Verbs that take the tariff as object: "raised tariffs", "suspended for 90 days the higher tariffs".
_ACT_VERB = (
    r"(?:impos(?:e|es|ed|ing)(?! under)|rais(?:e|es|ed|ing)|lift(?:s|ed|ing)?|cut(?:s|ting)?|"
    r"slash(?:es|ed|ing)?|remov(?:e|es|ed|ing)|suspend(?:s|ed|ing)?|exempt(?:s|ed|ing)?|delay(?:s|ed|ing)?|"
    r"set(?:s|ting)?|began collecting|approv(?:e|es|ed|ing|al)|increas(?:e|es|ed|ing)|doubl(?:e|es|ed|ing)|"
    r"halv(?:e|es|ed|ing)|lower(?:s|ed|ing)?|reduc(?:e|es|ed|ing)|order(?:s|ed)|announc(?:e|es|ed|ing)|"
    r"introduc(?:e|es|ed|ing)|drop(?:s|ped|ping|(?= the| its| their))|eliminat(?:e|es|ed|ing)|"
    r"scrap(?:s|ped|ping)?|"
    r"hik(?:e|es|ed|ing)|reimpos(?:e|es|ed|ing)|extend(?:s|ed|ing)?|levied|slapped|halt(?:s|ed|ing)?)"
)
# Verbs said of the tariff as subject: "tariffs took effect", "the 25% tariff imposed in April".
_SUBJECT_VERB = (
    r"(?:took effect|takes effect|taking effect|went into effect|came into force|entered into force|"
    r"imposed(?! under)|introduced|announced|approved|rising|rose|were raised|was raised|was cut|"
    r"were cut|lifted|removed|suspended)"
)
_TARIFF_ACT = re.compile(
    rf"\b{_NOT_ACT}{_ACT_VERB}\b{_GAP}{{0,50}}?\b{_TARIFF}\b|"
    rf"\b{_TARIFF}\b{_GAP}{{0,60}}?\b{_NOT_ACT}{_SUBJECT_VERB}\b|"
    rf"\d%\s+(?:\w+\s+)?imposed\b|\b(?:announced|took|takes)\s+action\b|"
    rf"\b{_NOT_ACT}(?:ban\w*|suspend\w*|halt\w*|block\w*)\s+(?:all\s+)?imports\s+of\b",
    _I,
)

_EXPORT = re.compile(
    r"\bexport\s+(?:controls?|curbs?|restrictions?|bans?|licen[cs]\w*|dut(?:y|ies)|blacklist)\b|"
    r"\b(?:ban\w*|restrict\w*|curb\w*|halt\w*|suspend\w*|limit\w*|controls?|dut(?:y|ies)|restrictions?|curbs?)"
    r"\s+(?:on\s+)?(?:all\s+)?(?:the\s+)?exports?\s+(?:of|to)\b|"
    r"\b(?:entity list|trade blacklist|unverified list|licensing requirements?)\b|"
    r"\brestrictions? on (?:sales|shipments) of\b",
    _I,
)
_EXPORT_ACT = re.compile(
    rf"\b{_NOT_ACT}(?:impos\w+|introduc\w+|tighten\w*|expand\w*|ban(?:s|ned)?|lift\w*|announc\w+|add(?:s|ed)|"
    rf"took effect|takes effect|restrict(?:s|ed|ing)?|requir\w+|extend\w*|curb(?:s|ed)|halt\w*|suspend\w*|"
    rf"launch\w*|adopt\w*|unveil\w*|drawn fire)\b",
    _I,
)
_RETALIATION = re.compile(
    r"\b(?:retaliat\w+|counter-?tariffs?|counter-?measures?|responded with|hit back|in kind|tit-for-tat|"
    r"its own (?:levies|tariffs|duties)|escalating a dispute)\b",
    _I,
)
_RETALIATION_ACT = re.compile(
    rf"\b{_NOT_ACT}(?:impos\w+|rais\w+|introduc\w+|extend\w*|suspend\w*|announc\w+|adopt\w*|responded|"
    rf"retaliat(?:ed|ing)|requir\w+|took effect|levied|slapped|hit back|in retaliation)\b",
    _I,
)
_LIFTED = re.compile(r"\b(?:remov\w+|lift\w*|scrap\w*|drop\w*|eliminat\w+)\b", _I)

_COURT = re.compile(r"\b(?:court|judges?|panel|tribunal|justices|appellate body)\b", _I)
_RULED = re.compile(
    r"\b(?:ruled|rules that|ruling that|blocked|struck down|upheld|upholding|reinstated|found that|found the|"
    r"sided with|siding with|stayed|agreed with a lower court)\b",
    _I,
)
_WTO = re.compile(r"\b(?:WTO|World Trade Organization)\b")
_DOMESTIC_COURT = re.compile(r"\b(?:federal|Supreme Court|Court of International Trade|Federal Circuit)\b")

_TALKS = re.compile(
    r"\b(?:talks|negotiations|negotiating|consultations?|discussions|"
    r"(?:met|meet|meeting)(?!\s+(?:the|its|their|a|an|all|some|most|any|demand|targets?|conditions|"
    r"(?:\w+\s+)?(?:expectations|forecasts|estimates))\b)|"
    r"(?:phone |video )?call (?:with|between)|by phone|spoke with|speak with|speaking with|discuss(?:ed)?|"
    r"pursu\w+\s+(?:a\s+|an\s+)?(?:[\w-]+\s+){0,2}(?:deal|agreement))\b",
    _I,
)
# Phrases whose talks are not an event: speculative, conditional, intended, or not about trade.
_TALKS_NOT = re.compile(
    r"\b(?:could|might|may|would)\s+(?:\w+\s+)?(?:meet|talk)\b|\b(?:in case|if|unless)\s+(?:the\s+)?talks\b|"
    r"\b(?:wage|labou?r|peace|coalition|merger|contract)\s+talks\b|\ballow negotiations\b|\bto negotiate\b|"
    r"\b(?:cabinet|board|shareholders?|staff|caucus|campaign|town hall)\s+meetings?\b|\bunlikely to\b[^,.;]*|"
    r"\b(?:bid|aim|effort|push)\s+to\s+[^,.;]*|\bconclud\w*\s+(?:the\s+)?(?:negotiations|talks)\b[^,.;]*"
    r"(?:,[^.;]*\btalks\b)?",
    _I,
)
_CONCLUDED_TALKS = re.compile(r"\bconclud\w*\s+(?:the\s+)?(?:negotiations|talks)\s+(?:on|for)\b", _I)
_AGREEMENT = re.compile(
    rf"\b{_NOT_ACT}(?<!\bto )(?:sign(?:s|ed|ing)?|reach(?:es|ed|ing)?|struck|strikes|conclud(?:e|es|ed|ing)|"
    rf"finali[sz](?:e|es|ed|ing)|seal(?:s|ed|ing)?|clinch(?:es|ed|ing)?|announc(?:e|es|ed|ing)|"
    rf"agreed to (?:a|an|the|their))\b{_GAP}{{0,60}}?\b(?:deal|agreement|pact|accord)s?\b|"
    rf"\b(?:deal|agreement|pact|accord)s?\b{_GAP}{{0,40}}?\b{_NOT_ACT}(?:signed|reached|struck|concluded|"
    rf"announced|finali[sz]ed|agreed)\b|\bsigned with\b",
    _I,
)
_AGREED_TO = re.compile(r"\bagreed\s+(?:on\s+\w+\s+|in\s+\w+\s+(?:on\s+\w+\s+)?)?to\s+\w+", _I)
_TO_TALK = re.compile(r"\bto\s+(?:start|resume|hold|continue|launch|open)\b", _I)
_AGREEMENT_NOT = re.compile(
    r"\b(?:aim\w*|hop\w*|seek\w*|racing|push\w*|expected)\s+(?:to|of|for)\s+(?:\w+\s+){0,3}"
    r"(?:deal|agreement|sign|reach|conclude|strike)|\bno (?:\w+\s+)?deals? (?:was|were|has|have)\b|"
    r"\bwithout a deal\b|\bwithdraw\w* from\b|\bunless\b[^.;]*\bdeals?\b|"
    r"\bif\s+(?:no\s+|a\s+|the\s+)?(?:[\w-]+\s+){0,2}(?:deal|agreement|pact)s?\s+(?:is|are)\b",
    _I,
)
_TRUCE = re.compile(r"\b(?:truce|ceasefire)\b", _I)
_TRUCE_ACT = re.compile(
    r"\b(?:agree\w*|extend\w*|reach\w*|struck|announc\w+|declar\w+|sign\w*|implement\w*|in a truce)\b", _I
)
_PAUSE_EXTENDED = re.compile(
    r"\b(?:extend\w*|agreed\w*)\s+(?:the\s+|a\s+|its\s+)?(?:\S+\s+){0,2}pause\b|"
    r"\bgiv\w+\s+\w+\s+\d+\s+more\s+days\b",
    _I,
)
_WITHOUT = re.compile(r"\bwithout\s+(?:\w+\s+){0,3}(?:an?\s+)?extension\b", _I)

_THREAT = re.compile(
    r"(?<!\ba )(?<!\bthe )\bthreaten(?:s|ed|ing)?\b|\bwarn(?:s|ed|ing)?\b[^.]*\b(?:could|would|will)\b"
    r"[^.]*\b(?:tariffs?|duties|levies|sanctions)\b|"
    r"\b(?:said|says|announced|posted|wrote|told)\b[^.]{0,80}?\b(?:would|intends? to|plans? to)\s+"
    r"(?:impose|apply|raise|reimpose|hit|put|levy|charge|slap|set|double|restrict)\b|"
    r"\b(?:propos(?:e|es|ed|ing|al)|recommend(?:s|ed|ing)?)\b(?=[^.;]{0,100}?(?:\d%|\b(?:tariff|dut(?:y|ies)|"
    r"levy|levies|quotas?|curbs|ban|restrictions|counter-?measures|measures?|percent)\b))|\bconsider\w*\s+(?:raising|imposing|tariffs|duties)\b|"
    r"\b(?:promis|pledg)(?:e|es|ed|ing)\s+(?:an?\s+|to\s+(?:impose|raise)\s+)(?:[\w-]+\s+){0,2}\d+(?:\.\d+)?%|"
    r"\bwould\s+(?:follow|respond|retaliate|reimpose)\b|\bbeing prepared\b|"
    r"\bvow\w*\s+to\s+(?:retaliate|respond|hit back|take)\b",
    _I,
)
# Letters and posts announce a rate ("a letter ... a 30% tariff"); a post about a court case does not.
_THREAT_MEDIUM = re.compile(r"\b(?:letters?|social media|post(?:ed|ing)?)\b", _I)
_RATE = re.compile(r"\d%|\bpercent\b|\bper cent\b|\bimpos\w+|\braise\b", _I)
_CAMPAIGN = re.compile(r"\bcampaign\w*\b|\bcandidate\b", _I)
_TRADE_WORD = re.compile(
    r"\b(?:tariffs?|dut(?:y|ies)|levy|levies|trade|exports?|imports?|countermeasures|counter-tariffs|"
    r"sanctions?|ban|curbs|measures?|move|increase|letter|decision|mechanism)\b",
    _I,
)
# The vocabulary of trade policy itself: an event type other than a measure counts only in a sentence, or
# next to one, that uses it, since talks, deals, calls, rulings and protests are as common outside trade.
# "Customs and Border Protection" is named as often in immigration news as in trade news.
_TRADE_TOPIC = re.compile(
    r"\b(?:tariffs?|(?<!\bhis )(?<!\bher )(?<!\bmy )(?<!\bon )(?<!\boff )dut(?:y|ies)|levy|levies|"
    r"surcharges?|trade|trading|exports?|imports?|exporters?|importers?|customs(?! and Border Protection)|"
    r"WTO|World Trade Organization|anti-dumping|"
    r"countervailing|counter-?measures|counter-tariffs|retaliat\w+|quotas?|safeguards?|USMCA|CUSMA|"
    r"NAFTA|Section \d+|export controls?|entity list|market access|free-trade|commerce ministry|CBAM)\b",
    _I,
)
# Reactions and formal steps that are statements by themselves ...
_STATEMENT_ACT = re.compile(
    r"\bcalled\s+(?:the|this|it|its|their)\s+(?:\w+\s+)?(?:move|increase|decision|measures?|letter|tariffs?|"
    r"mechanism|ban|curbs|duties)\b|\bviolat\w+\s+(?:\w+\s+){0,4}rules\b|\bcomplaint\b|"
    r"\b(?:launch|initiat|open)\w*\s+(?:an?\s+)?(?:[\w-]+\s+){0,3}(?:investigation|probe)\b",
    _I,
)
# ... and reactions that are statements when they are about a trade measure.
_REACTION = re.compile(
    r"\b(?:firmly\s+)?oppos(?:e|es|ed)\b|\burged\b|\bcondemn\w*|\bprotest\w*|\ball options\b|"
    r"\btake\s+(?:all\s+)?(?:necessary\s+)?(?:actions|measures)\b",
    _I,
)


def is_trade(text: str) -> bool:
    """Whether the sentence speaks of trade at all ("talks stalled" on a trade deal, not a bank's meeting;
    a power tariff is no trade)."""
    return bool(_TRADE_WORD.search(without_domestic_charges(text)))


def is_trade_topic(text: str) -> bool:
    """Whether the sentence uses the vocabulary of trade policy (tariffs, trade, imports, the WTO ...)."""
    return bool(_TRADE_TOPIC.search(without_domestic_charges(text)))


def dateline_end(text: str) -> int:
    """Where the sentence proper begins after a wire dateline ("BUSAN, South Korea (Wire) - ")."""
    match = _DATELINE.match(text)
    return match.end() if match else 0


def officials(text: str) -> list[tuple[int, str, str]]:
    """(start, iso3, "official") for each head of government or trade official named."""
    return [(m.start(), _OFFICIALS[m.group(1)], "official") for m in _OFFICIAL.finditer(text)]


def cue_types(text: str) -> list[EventType]:
    """The event types the sentence reports, at most one of each."""
    body = text[dateline_end(text) :]
    types: list[EventType] = []
    ruling = bool(_COURT.search(body) and _RULED.search(body))
    if ruling:
        types.append(EventType.LEGAL_RULING)
    truce = bool(
        ((_TRUCE.search(body) and _TRUCE_ACT.search(body)) or _PAUSE_EXTENDED.search(body))
        and not _WITHOUT.search(body)
    )
    agreement = not truce and not ruling and _is_agreement(body)
    if not ruling and _TALKS.search(_TALKS_NOT.sub(" ", body)):
        types.append(EventType.TALKS)
    if agreement:
        types.append(EventType.AGREEMENT)
    if truce:
        types.append(EventType.TRUCE)
    threat = _is_threat(body)
    measure = None if (truce or agreement or threat or ruling) else _measure(body)
    if measure:
        types.append(measure)
    if threat or (not ruling and _is_reaction(body)):
        types.append(EventType.STATEMENT)
    return types


def is_domestic_ruling(text: str) -> bool:
    """A national court's ruling (its party is the country whose measure it rules on), not a WTO panel's."""
    return bool(_DOMESTIC_COURT.search(text)) or not _WTO.search(text)


def _is_threat(body: str) -> bool:
    if _CAMPAIGN.search(body) or not _TRADE_WORD.search(body):
        return False
    if _THREAT.search(body):
        return True
    return bool(_THREAT_MEDIUM.search(body) and _RATE.search(body))


def _is_reaction(body: str) -> bool:
    return bool(_STATEMENT_ACT.search(body) or (_REACTION.search(body) and _TRADE_WORD.search(body)))


def _is_agreement(body: str) -> bool:
    if _AGREEMENT_NOT.search(body):
        return False
    if _AGREEMENT.search(body) or _CONCLUDED_TALKS.search(body):
        return True
    # "X and Y agreed to cut red tape" is a deal; "agreed to start talks" is talks.
    agreed = _AGREED_TO.search(body)
    return agreed is not None and not _TO_TALK.search(agreed.group())


def _measure(body: str) -> EventType | None:
    """The one type of a measure in the sentence: export_control > retaliation > tariff_action."""
    clean = _CONDITION.sub(" ", _INTENT.sub(" ", _REPORTED_WOULD.sub(r"\1will", body)))
    if _EXPORT.search(clean) and _EXPORT_ACT.search(clean):
        return EventType.EXPORT_CONTROL
    if _RETALIATION.search(clean) and _RETALIATION_ACT.search(clean):
        # Removing counter-tariffs ends a measure; it is a tariff act, not a new retaliation.
        return EventType.TARIFF_ACTION if _LIFTED.search(clean) else EventType.RETALIATION
    if _TARIFF_ACT.search(clean):
        return EventType.TARIFF_ACTION
    return None
