"""Trade events in an article: talks, agreements, truces, tariff and export measures, retaliation, rulings and
official statements, each with its parties, day, place and CAMEO code.

Each sentence is classified by the cue words trade news uses for each kind of act (nouns such as "talks",
"truce", "export controls" next to the verbs that make them an act rather than a state: "faces a 25% tariff"
is a state, "imposed a 25% tariff" is an act). The labelling rules are those of
tests/fixtures/detection/README.md (section "Events"): one type per measure with the priority
export_control > retaliation > tariff_action, threats and proposals are statements, and talks or agreements
with several partners named together are one bilateral event per partner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from extractors.detect.dates import find_dates
from extractors.detect.event_cues import (
    ANAPHORIC,
    BOTH_SIDES,
    DATE_AFTER_EFFECT,
    DATE_NOT_ACT,
    DATE_NOT_ACT_AFTER,
    HEADLINE_END,
    LOCATION_BEFORE,
    STATEMENT_COMPLEMENT,
    cue_types,
    dateline_end,
    is_domestic_ruling,
    is_trade,
    is_trade_topic,
    officials,
)
from extractors.detect.models import EventType, Sentence, TradeEvent
from extractors.detect.places import find_parties, find_places

# One fixed code per type so the table joins GDELT's EventCode (CAMEO codebook v0.7b5,
# openeventdata/text_to_CAMEO CAMEO_codefile.txt): 046 Engage in negotiation, 057 Sign formal agreement,
# 085 Ease economic sanctions, boycott, embargo, 163 Impose embargo, boycott, or sanctions,
# 116 Find guilty or liable (legally), 010 Make statement.
CAMEO: dict[EventType, str] = {
    EventType.TALKS: "046",
    EventType.AGREEMENT: "057",
    EventType.TRUCE: "085",
    EventType.TARIFF_ACTION: "163",
    EventType.EXPORT_CONTROL: "163",
    EventType.RETALIATION: "163",
    EventType.LEGAL_RULING: "116",
    EventType.STATEMENT: "010",
}

# Types whose events are between two sides: a lone party is completed from the context.
_BILATERAL = frozenset({EventType.TALKS, EventType.AGREEMENT, EventType.TRUCE, EventType.RETALIATION,
                        EventType.STATEMENT})  # fmt: skip
# Types that happen somewhere; rulings, measures and statements are decisions without a place.
_PLACED = frozenset({EventType.TALKS, EventType.AGREEMENT, EventType.TRUCE})
# Acts a reaction ("called the move unjustified") refers to.
_MEASURES = frozenset({EventType.TARIFF_ACTION, EventType.EXPORT_CONTROL, EventType.RETALIATION})
# Types split into one event per partner when several partners are named together.
_SPLIT = frozenset({EventType.TALKS, EventType.AGREEMENT})

# The share of sentences using trade words above which an article is a trade story (trade stories in the
# dev set and the benchmark pages: 0.2 and up; other news that mentions trade in passing: 0.12 and under).
_TRADE_SHARE = 0.15

# "with India, Japan and South Korea": the partner list of talks or agreements.
_WITH_LIST = re.compile(r"\bwith\s+((?:[^,.;]+?)(?:,\s*[^,.;]+?)*\s+and\s+[^,.;]+)")


# A demonym naming goods or a market rather than a side: "Russian oil", "Thai rice prices".
_GOODS_AFTER = re.compile(r"(?:\s+and\s+[A-Z]\w+)?\s+(?:oil|crude|gas|\w+\s+prices)\b")
# "in the Swiss city": a demonym standing for a place.
_PLACE_NOUN_AFTER = re.compile(r"\s+(?:city|capital|resort|town)\b")
_IN_PLACE = re.compile(r"\b(?:in|at|near)\s+(?:the\s+)?(?:[A-Z][\w-]+(?:\s+[A-Z][\w-]+)*,\s+)?$")
_SPAN = re.compile(r"\b(?:days?|weeks?|months?|years?)\b", re.I)
_TODAY = re.compile(r"\btoday\b", re.I)
# Commitments under a deal already reported: future cuts, "in return", "the deal also removes".
_COMMITMENT = re.compile(
    r"\b(?:will|would)\b|\bin (?:return|turn)\b|\b(?:the|this) (?:deal|agreement|truce)\b", re.I
)


def find_events(sentences: Sequence[Sentence], published: date) -> list[TradeEvent]:
    """Trade events in sentence order; the same act (type, parties, day) is reported once per article."""
    context = _Context()
    events = context.events
    topical = [is_trade_topic(s.text) for s in sentences]
    # In a trade story every sentence may tell a trade event ("The two leaders will speak on Friday."); in
    # another story only a sentence that speaks of trade.
    trade_story = sum(topical) >= _TRADE_SHARE * len(sentences)
    for index, sentence in enumerate(sentences):
        text = sentence.text
        parties, capital_places = _parties(text)
        if HEADLINE_END.search(text):  # headlines and subheads (no final stop) restate the lead's events
            near_trade = trade_story or topical[index]
            kinds = [k for k in cue_types(text) if near_trade]
            for kind in kinds:
                if _is_repeat(kind, text, events):
                    continue
                for group in _party_groups(kind, text, parties, capital_places, context):
                    event = TradeEvent(
                        type=kind,
                        date=_event_date(kind, text, published, kinds),
                        location=_location(text) if kind in _PLACED else None,
                        parties=tuple(sorted(group)),
                        cameo=CAMEO[kind],
                        sentence=text,
                    )
                    if not any(_same_act(event, other) for other in events):
                        context.remember(event, group)
        context.previous = parties or context.previous
    return events


@dataclass(slots=True)
class _Context:
    """What came before a sentence, for subjects it does not name ("The ministry said it ...")."""

    previous: list[str] = field(default_factory=list)  # parties of the previous sentence
    last: list[str] = field(default_factory=list)  # the last event's parties, actor first
    measure: list[str] = field(default_factory=list)  # the last measure's parties, actor first
    events: list[TradeEvent] = field(default_factory=list)  # the article's events so far

    def remember(self, event: TradeEvent, group: list[str]) -> None:
        self.events.append(event)
        self.last = group
        if event.type in _MEASURES:
            self.measure = group


def _parties(text: str) -> tuple[list[str], list[str]]:
    """Parties named in the sentence, first-mention order, and the capitals named there only as places
    ("talks in London"): those are where the act happened, not who took part. The dateline is the place
    the story was filed from, and "Russian oil" or "Thai rice prices" name goods, not parties."""
    skip = dateline_end(text)
    place_ends = {end for _, _, end in find_places(text)}
    mentions = [(m.start, m.end, m.iso3, m.kind) for m in find_parties(text)]
    mentions += [(start, start, iso3, kind) for start, iso3, kind in officials(text)]
    parties: list[str] = []
    places: list[str] = []
    for start, end, iso3, kind in sorted(mentions):
        if start < skip or (kind == "demonym" and _GOODS_AFTER.match(text, end)):
            continue
        before = text[:start]
        if LOCATION_BEFORE.search(before) and (kind == "capital" or _PLACE_NOUN_AFTER.match(text, end)):
            places.append(iso3)
        elif kind == "name" and _IN_PLACE.search(before) and (start - 2) in place_ends:
            continue  # "in Kananaskis, Canada": the country of the place
        elif iso3 not in parties:
            parties.append(iso3)
    return parties, places


def _party_groups(
    kind: EventType, text: str, parties: list[str], capital_places: list[str], context: _Context
) -> list[list[str]]:
    """The party lists of the events of `kind` in this sentence: usually one, one per partner for talks or
    agreements with several partners named together; none when the sides cannot be told."""
    group = list(parties)
    if not group and BOTH_SIDES.search(text):
        group = list(context.last)
    if kind in _PLACED and len(group) > 2:
        # "expected to meet at the APEC summit in South Korea": a third country is where, not who.
        group = [p for p in group if not _named_as_place(text, p)]
    if kind in _SPLIT:
        partners = _listed_partners(text)
        if len(partners) >= 2:
            actors = [p for p in group if p not in partners][:1] or [
                p for p in context.previous if p not in partners
            ][:1]
            return [sorted(set(actors) | {partner}) for partner in partners]
    if kind == EventType.LEGAL_RULING and is_domestic_ruling(text):
        rulings = [e for e in context.events if e.type == kind]
        return [group[:1] or (list(rulings[-1].parties) if rulings else context.previous[:1])]
    if kind in _BILATERAL and len(group) < 2:
        # "talks in New Delhi" with a U.S. team: the host is the other side.
        group += [p for p in capital_places if p not in group][: 2 - len(group)]
    if kind in _BILATERAL and len(group) < 2 and (group or is_trade(text)):
        # "called the move unjustified": the other side is the actor of the measure referred to.
        source = context.measure or context.last or context.previous
        group += [p for p in source if p not in group][: 2 - len(group)]
    if not group:
        group = context.previous[:1]
    if kind in _PLACED and len(group) < 2:
        return []
    return [group] if group else []


def _listed_partners(text: str) -> list[str]:
    match = _WITH_LIST.search(text)
    if match is None:
        return []
    return list(dict.fromkeys(m.iso3 for m in find_parties(match.group(1))))


def _event_date(kind: EventType, text: str, published: date, kinds: list[EventType]) -> date | None:
    """The day of the act: a day the sentence says it happened on; else, for a measure, the day it took
    effect. Days by which something is due, starts or ends ("from September 1", "until April 2"), spans
    ("for 200 days") and, for a statement, the days of the measure it announces are not the act's day."""
    if kind == EventType.STATEMENT and (EventType.AGREEMENT in kinds or EventType.TRUCE in kinds):
        return None  # "lower than the rate it had threatened": the deal's day is not the threat's
    skip = dateline_end(text)
    complement = STATEMENT_COMPLEMENT.search(text, skip) if kind == EventType.STATEMENT else None
    limit = complement.start() if complement else len(text)
    best: tuple[int, date] | None = None
    for mention in find_dates(text, published):
        if not skip <= mention.start < limit or mention.date_start != mention.date_end:
            continue
        before = text[: mention.start]
        if (
            DATE_NOT_ACT.search(before)
            or DATE_NOT_ACT_AFTER.match(text, mention.end)
            or _SPAN.search(mention.text)
        ):
            continue
        rank = 1 if DATE_AFTER_EFFECT.search(before) else 0
        if rank and kind not in _MEASURES:
            continue
        if best is None or rank < best[0]:
            best = (rank, mention.date_start)
    if best is None and _TODAY.search(text[skip:limit]):
        return published  # press releases: "The Commission today decided ..."
    return best[1] if best else None


def _location(text: str) -> str | None:
    """The first named city the sentence puts the act in ("in Geneva", "at Mar-a-Lago")."""
    for name, start, _ in find_places(text):
        if LOCATION_BEFORE.search(text[:start]):
            return name
    return None


def _named_as_place(text: str, iso3: str) -> bool:
    return any(m.iso3 == iso3 and _IN_PLACE.search(text[: m.start]) for m in find_parties(text))


def _is_repeat(kind: EventType, text: str, events: list[TradeEvent]) -> bool:
    """A sentence that opens on a definite mention of an act already told ("The ruling covers ...", "The
    duties take effect on ...") adds detail to that act, not a new one; and the tariff cuts a deal or truce
    commits to ("will lower its tariff ...") are part of that deal."""
    if ANAPHORIC[kind].search(text) and any(e.type == kind for e in events):
        return True
    settled = any(e.type in (EventType.AGREEMENT, EventType.TRUCE) for e in events)
    return kind == EventType.TARIFF_ACTION and settled and bool(_COMMITMENT.search(text))


def _same_act(event: TradeEvent, other: TradeEvent) -> bool:
    """Same type, parties and day. An undated, unplaced later mention of talks, a deal or a truce between
    the same sides ("the meeting", "the deal they signed") is taken as that act again; measures and
    statements are not, as the same sides often take several."""
    if (event.type, event.parties) != (other.type, other.parties):
        return False
    retold = event.type in _PLACED and event.date is None and event.location is None
    return event.date == other.date or retold
