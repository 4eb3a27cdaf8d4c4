"""What detection finds in an article: frozen dataclasses, serialised by `as_json` in the stable shape of
`tradewatch detect` (a contract: keys, types and meaning do not change without a version bump)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class TariffAction(StrEnum):
    IMPOSE = "impose"
    RAISE = "raise"
    CUT = "cut"
    SUSPEND = "suspend"
    THREATEN = "threaten"
    EXEMPT = "exempt"
    OTHER = "other"


class EventType(StrEnum):
    TALKS = "talks"
    AGREEMENT = "agreement"
    TRUCE = "truce"
    TARIFF_ACTION = "tariff_action"
    EXPORT_CONTROL = "export_control"
    RETALIATION = "retaliation"
    LEGAL_RULING = "legal_ruling"
    STATEMENT = "statement"


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of the article body with its character offsets (text[start:end] == sentence.text)."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PartyMention:
    """A country or bloc named in a sentence: by name, demonym ("Chinese goods") or capital ("Beijing")."""

    iso3: str
    start: int  # offsets within the sentence
    end: int
    kind: str  # name | demonym | capital


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date phrase resolved to a range (equal ends for an exact day)."""

    start: int  # offsets within the sentence
    end: int
    date_start: date
    date_end: date
    text: str


@dataclass(frozen=True, slots=True)
class TariffFigure:
    rate_pct: float
    previous_rate_pct: float | None
    imposing: str | None
    target: str | None
    products: tuple[str, ...]
    action: TariffAction
    effective_date: date | None
    sentence: str


@dataclass(frozen=True, slots=True)
class Deadline:
    date_start: date
    date_end: date
    description: str
    sentence: str


@dataclass(frozen=True, slots=True)
class TradeEvent:
    type: EventType
    date: date | None
    location: str | None
    parties: tuple[str, ...]  # ISO3, sorted
    cameo: str
    sentence: str


@dataclass(frozen=True, slots=True)
class Detection:
    tariffs: tuple[TariffFigure, ...]
    deadlines: tuple[Deadline, ...]
    events: tuple[TradeEvent, ...]
    # The language whose rules read the text; None when detection has no rules for it, and then nothing
    # was looked for (an empty result means "not read", not "nothing there").
    language: str | None = "en"


def _number(value: float | None) -> float | int | None:
    """25.0 -> 25, 2.5 -> 2.5: rates print as a reader writes them."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def as_json(detection: Detection) -> dict[str, Any]:
    """The `tradewatch detect` output: exactly these keys, numbers as numbers, dates as ISO strings."""
    return {
        "tariffs": [
            {
                "rate_pct": _number(t.rate_pct),
                "previous_rate_pct": _number(t.previous_rate_pct),
                "imposing": t.imposing,
                "target": t.target,
                "products": list(t.products),
                "action": t.action.value,
                "effective_date": _iso(t.effective_date),
                "sentence": t.sentence,
            }
            for t in detection.tariffs
        ],
        "deadlines": [
            {
                "date_start": _iso(d.date_start),
                "date_end": _iso(d.date_end),
                "description": d.description,
                "sentence": d.sentence,
            }
            for d in detection.deadlines
        ],
        "events": [
            {
                "type": e.type.value,
                "date": _iso(e.date),
                "location": e.location,
                "parties": list(e.parties),
                "cameo": e.cameo,
                "sentence": e.sentence,
            }
            for e in detection.events
        ],
    }
