"""Storing what detection found: per article, the old rows are replaced by the new ones in the caller's
transaction, so a re-run with changed rules never leaves a mix of old and new facts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection

from extractors.detect.models import Detection, TradeEvent
from warehouse.load import id_table, staged, upsert
from warehouse.schema import deadlines, event_parties, events, tariff_measures

_TABLES = (tariff_measures, deadlines, events, event_parties)


@dataclass(frozen=True, slots=True)
class ArticleDetection:
    article_id: str
    published_on: date | None
    detection: Detection


@dataclass(frozen=True, slots=True)
class DetectionCounts:
    tariffs: int = 0
    deadlines: int = 0
    events: int = 0


def cluster_key(event: TradeEvent, published_on: date | None) -> str:
    """Same type, same parties, same day: the same event, however many articles report it. An undated
    event is dated by the day of the article that reports it."""
    day = event.date or published_on
    raw = f"{event.type.value}|{';'.join(event.parties)}|{day.isoformat() if day else ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def replace_detections(conn: Connection, run_id: str, items: Sequence[ArticleDetection]) -> DetectionCounts:
    if not items:
        return DetectionCounts()
    _delete_for(conn, [item.article_id for item in items])
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in _TABLES}
    for item in items:
        for name, row in _rows(item, run_id):
            rows[name].append(row)
    for table in _TABLES:
        upsert(conn, table, rows[table.name])
    return DetectionCounts(
        tariffs=len(rows["tariff_measures"]), deadlines=len(rows["deadlines"]), events=len(rows["events"])
    )


def _delete_for(conn: Connection, article_ids: list[str]) -> None:
    with staged(conn, id_table(article_ids)) as replaced:
        for table in _TABLES:
            conn.exec_driver_sql(
                f"delete from {table.name} where article_id in (select article_id from {replaced})"
            )


def _rows(item: ArticleDetection, run_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
    aid, found = item.article_id, item.detection
    for n, t in enumerate(found.tariffs):
        yield (
            "tariff_measures",
            {
                "measure_id": f"{aid}:{n}",
                "article_id": aid,
                "rate_pct": t.rate_pct,
                "previous_rate_pct": t.previous_rate_pct,
                "imposing": t.imposing,
                "target": t.target,
                "products": "; ".join(t.products),
                "action": t.action.value,
                "effective_date": t.effective_date,
                "sentence": t.sentence,
                "run_id": run_id,
            },
        )
    for n, d in enumerate(found.deadlines):
        yield (
            "deadlines",
            {
                "deadline_id": f"{aid}:{n}",
                "article_id": aid,
                "date_start": d.date_start,
                "date_end": d.date_end,
                "description": d.description,
                "sentence": d.sentence,
                "run_id": run_id,
            },
        )
    for n, e in enumerate(found.events):
        event_id = f"{aid}:{n}"
        yield (
            "events",
            {
                "event_id": event_id,
                "article_id": aid,
                "event_type": e.type.value,
                "event_date": e.date,
                "location": e.location,
                "parties": ";".join(e.parties),
                "cameo": e.cameo,
                "cluster_key": cluster_key(e, item.published_on),
                "sentence": e.sentence,
                "run_id": run_id,
            },
        )
        for party in e.parties:
            yield "event_parties", {"event_id": event_id, "party": party, "article_id": aid, "run_id": run_id}
