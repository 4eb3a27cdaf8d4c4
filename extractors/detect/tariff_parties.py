"""Who imposes a tariff rate and on whom, from the position of the parties around the rate.

A party is in *target position* when a preposition introduces it ("on Chinese goods", "imports from Brazil",
"40% for Laos and Myanmar"), when it qualifies goods ("Canadian lumber", "EU steel"), when it is the
subject of "face"/"pay" ("the European Union faces 20%") or when the rate follows it in a list ("Japan
24%"). A party is in *imposer position* when it qualifies the tariff noun ("U.S. duties", "India's car
tariffs", "a 25 per cent US tariff") or is the subject of the clause ("Canada imposed", "Beijing raised").
People and bodies ("Trump", "the Commission") stand for their governments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractors.detect.models import PartyMention
from extractors.detect.places import find_parties
from extractors.detect.tariff_lexicon import ACTOR_PATTERN, ACTORS, GLOBAL_CUE, PRODUCT_PATTERN

# A preposition that introduces a target, then up to four lower-case words ("on C$30 billion worth of").
_TARGET_PREP = re.compile(
    r"\b(?:on|from|against|for|through|targeting|including)\s+"
    r"(?:(?:[a-z\d$€£]|[A-Z]{1,2}\$)[\w$.'\u2019-]*\s+){0,4}?$"
)
_JOIN = re.compile(r"^\s*(?:,|and|, and|or)?\s*(?:the\s+)?$")
_GOODS_AFTER = re.compile(
    r"^(?:'s|\u2019s)?(?:-made|-origin)?\s+(?:[\w-]+\s+){0,2}?(?:goods|imports|exports|products|shipments|ones)\b"
)
_FACE_AFTER = re.compile(
    r"^(?:'s\s+\w+)?\s+(?:\w+\s+){0,2}?(?:faces?|facing|pays?|was assigned|were assigned|gets)\b"
)
_NOUN_AFTER = re.compile(
    r"^(?:'s|\u2019s)?\s+(?:[\w%.-]+\s+){0,3}?(?:counter-?tariffs?|tariffs?|duty|duties|levy|levies|rates?|move"
    r"|surcharges?|countermeasures|import tax)\b",
    re.IGNORECASE,
)
_PREP_BEFORE = re.compile(
    r"\b(?:on|from|against|for|with|to|in|into|between|of|by|through|and|at|than)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_SUFFERS = re.compile(
    r"\b(?:fac\w+|pay\w*|hit with|want\w*|seek\w*|relief|left off|spared|assigned|exports?|goods)\b",
    re.IGNORECASE,
)
_IMPOSES = re.compile(
    r"\b(?:impos\w+|rais\w+|levi\w+|levy|cut\w*|lower\w*|appl\w+|slap\w*|announc\w+|approv\w+|order\w*"
    r"|sign\w*|set\w*|remov\w+|eliminat\w+|lift\w*|suspend\w*|retain\w*|keep\w*|threat\w*)\b",
    re.IGNORECASE,
)
_OBJECT_PREP = re.compile(r"\b(?:on|from|against|for|into|of|than|to)\s+(?:the\s+)?$", re.IGNORECASE)
_RATE_AFTER = re.compile(r"^\s*(?:at\s+|on\s+)?(?:\d|a\s+(?:quarter|third))")


@dataclass(frozen=True, slots=True)
class Actor:
    iso3: str
    start: int
    end: int


def actors_in(sentence: str) -> list[Actor]:
    """Countries, blocs, and people or bodies standing for them, in order."""
    found = [Actor(p.iso3, p.start, p.end) for p in find_parties(sentence)]
    taken = [(a.start, a.end) for a in found]
    for m in ACTOR_PATTERN.finditer(sentence):
        if not any(s < m.end() and m.start() < e for s, e in taken):
            found.append(Actor(ACTORS[m.group(1)], m.start(), m.end()))
    return sorted(found, key=lambda a: a.start)


def _in_target_position(sentence: str, party: PartyMention | Actor) -> bool:
    before, after = sentence[: party.start], sentence[party.end :]
    if re.search(r"\b(?:to|into|enter|entering)\s+(?:the\s+)?$", before):
        return False  # a destination: "exports to the U.S."
    return bool(
        _TARGET_PREP.search(before)
        or _GOODS_AFTER.match(after)
        or _FACE_AFTER.match(after)
        or (
            PRODUCT_PATTERN.match(after.lstrip(" \u2019's").split(",")[0][:40])
            and not _NOUN_AFTER.match(after)
        )
        or _RATE_AFTER.match(after)
    )


def _groups(sentence: str, parties: list[PartyMention]) -> list[list[PartyMention]]:
    """Parties joined by "and" or commas form one group ("Canada and Mexico")."""
    groups: list[list[PartyMention]] = []
    for party in parties:
        if groups and _JOIN.match(sentence[groups[-1][-1].end : party.start]):
            groups[-1].append(party)
        else:
            groups.append([party])
    return groups


def explicit_targets(sentence: str, lo: int, hi: int, rate_start: int) -> list[str]:
    """Targets named in sentence[lo:hi], the rate's stretch of clause: a group a preposition introduces
    after the rate ("40% for Laos and Myanmar"), else the last target-position group before it ("Japan
    24%", "the EU faces 20%", "duties on Chinese goods")."""
    parties = [p for p in find_parties(sentence) if lo <= p.start and p.end <= hi]
    before: list[str] = []
    for group in _groups(sentence, parties):
        head = group[0]
        if head.start > rate_start:
            if (
                _TARGET_PREP.search(sentence[: head.start])
                and " and " not in sentence[rate_start : head.start]
            ):
                return list(dict.fromkeys(p.iso3 for p in group))
        elif (_in_target_position(sentence, head) or _FACE_AFTER.match(sentence[group[-1].end :])) and (
            " and " not in sentence[group[-1].end : rate_start]  # not "on Chinese goods and a 10% levy"
        ):
            before = [p.iso3 for p in group]
    return list(dict.fromkeys(before))


def nearest_target_group(sentence: str, rate_start: int) -> list[str]:
    """The closest target-position group before the rate, else after it, anywhere in the sentence."""
    groups = [g for g in _groups(sentence, find_parties(sentence)) if _in_target_position(sentence, g[0])]
    before = [g for g in groups if g[0].start < rate_start]
    pick = before[-1] if before else (groups[0] if groups else [])
    return list(dict.fromkeys(p.iso3 for p in pick))


def is_global(text: str) -> bool:
    return GLOBAL_CUE.search(text) is not None


def imposer(sentence: str, lo: int, hi: int, rate_start: int, targets: list[str]) -> str | None:
    """Who imposes the rate: a party qualifying the tariff noun in the rate's stretch, else the nearest
    subject-like party or actor before the rate."""
    actors = [a for a in actors_in(sentence) if a.iso3 not in targets]
    for actor in actors:
        qualifies_noun = lo <= actor.start < hi and _NOUN_AFTER.match(sentence[actor.end :])
        if qualifies_noun and not _OBJECT_PREP.search(sentence[: actor.start]):
            return actor.iso3
    subjects = [
        a
        for a in actors
        if a.start < rate_start
        and not _in_target_position(sentence, a)
        and not _PREP_BEFORE.search(sentence[: a.start])
        and not _in_compound(sentence, a)
        and not _undergoes(sentence[a.end : rate_start])
    ]
    return subjects[-1].iso3 if subjects else None


def sufferers(sentence: str, rate_start: int) -> list[str]:
    """The subject group that faces, pays or seeks relief from the rate ("it will pay a 19% tariff")."""
    for group in reversed(_groups(sentence, [p for p in find_parties(sentence) if p.end <= rate_start])):
        head = group[0]
        if _PREP_BEFORE.search(sentence[: head.start]) or _in_compound(sentence, head):
            continue
        if not _in_target_position(sentence, head) and _undergoes(sentence[group[-1].end : rate_start]):
            return list(dict.fromkeys(p.iso3 for p in group))
    return []


def _in_compound(sentence: str, actor: Actor | PartyMention) -> bool:
    """A name inside a compound ("U.S.-Mexico-Canada Agreement", "US-China talks") is no subject."""
    return sentence[actor.start - 1 : actor.start] == "-" or sentence[actor.end : actor.end + 1] in (
        "-",
        "\u2013",
    )


def _undergoes(between: str) -> bool:
    """A subject that faces, pays or seeks relief from the rate is its target, not its author ("Canada and
    Mexico were left off the list, as their goods face 25%")."""
    return _SUFFERS.search(between) is not None and _IMPOSES.search(between) is None


def other_parties(sentence: str, exclude: str | None) -> list[str]:
    return [p for p in dict.fromkeys(a.iso3 for a in find_parties(sentence)) if p != exclude]
