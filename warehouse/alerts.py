"""Reading and writing what alerting keeps: `tracked_deadlines` (each deadline as known across articles)
and `alerts`, the outbox (an alert is written `pending` before it is sent, then marked `sent` or `failed`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Connection, RowMapping, select, text, update

from extractors.deadline_alerts import AlertKind, KnownDeadline
from extractors.deadline_groups import FoundDeadline
from extractors.deadline_keys import article_keys
from warehouse.load import upsert
from warehouse.schema import alerts, runs, tracked_deadlines

NO_CHANNEL = ""


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: str
    kind: AlertKind
    deadline_key: str
    date_start: date
    date_end: date
    channel: str  # redacted
    message: str
    status: str
    attempts: int = 0


def alert_id(kind: AlertKind, key: str, start: date, end: date, channel: str) -> str:
    raw = f"{kind.value}|{key}|{start.isoformat()}|{end.isoformat()}|{channel}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def known_deadlines(conn: Connection) -> dict[str, KnownDeadline]:
    rows = conn.execute(select(tracked_deadlines)).mappings().all()
    return {
        r["deadline_key"]: KnownDeadline(
            key=r["deadline_key"],
            date_start=r["date_start"],
            date_end=r["date_end"],
            dated_on=r["dated_on"],
            reported_at=r["reported_at"],
            previous_start=r["previous_date_start"],
            previous_end=r["previous_date_end"],
            sentence=r["sentence"],
            article_id=r["article_id"],
            title=r["title"],
            url=r["url"],
            source_count=r["source_count"],
            article_count=r["article_count"],
            status=r["status"],
            label=r["label"],
        )
        for r in rows
    }


_FOUND = """
with fresh_runs as (
    select :run_id as run_id
    union all
    select run_id from runs where alerted_at is null
)
select d.article_id, d.deadline_id, d.run_id in (select run_id from fresh_runs) as is_fresh, d.date_start,
    d.date_end, d.sentence, a.source_id, a.title, coalesce(a.final_url, a.url) as url,
    coalesce(a.published_at, a.fetched_at) as reported_at
from deadlines as d
inner join articles as a using (article_id)
where d.article_id in (
    select article_id from deadlines
    where date_end >= :today or run_id in (select run_id from fresh_runs)
)
order by d.article_id, d.deadline_id
"""


def found_deadlines(conn: Connection, run_id: str, today: date) -> list[FoundDeadline]:
    """Every report of a deadline still ahead, and the reports of this run and of any earlier run whose
    alert step never ran (it died first): past ones too, since they are recorded.

    All future reports, not only this run's: the state then follows the warehouse even after a run died
    between its load and its alerts, or `tradewatch reprocess` rewrote the detections. Whole articles
    are read, since a key depends on the article's other deadlines (`article_keys`)."""
    rows = conn.execute(text(_FOUND), {"today": today, "run_id": run_id}).mappings().all()
    per_article: dict[str, list[RowMapping]] = {}
    for row in rows:
        per_article.setdefault(row["article_id"], []).append(row)
    found = []
    for items in per_article.values():
        keys = article_keys([(r["sentence"], r["date_start"], r["date_end"]) for r in items])
        for key, r in zip(keys, items, strict=True):
            if r["date_end"] < today and not r["is_fresh"]:
                continue
            found.append(
                FoundDeadline(
                    key=str(key),
                    date_start=r["date_start"],
                    date_end=r["date_end"],
                    sentence=r["sentence"],
                    article_id=r["article_id"],
                    source_id=r["source_id"],
                    title=r["title"],
                    url=r["url"],
                    reported_at=_aware(r["reported_at"]),
                )
            )
    return found


def _aware(moment: datetime | date) -> datetime:
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def save_tracked(
    conn: Connection,
    state: Mapping[str, KnownDeadline],
    seen: Iterable[str],
    *,
    run_id: str,
    now: datetime,
    today: date,
) -> None:
    """Write the keys found this run (their first-seen time stays the first one), mark every other key
    whose date is over as passed, and every run whose reports are now read as alerted."""
    rows = [
        {
            "deadline_key": key,
            "label": d.label,
            "date_start": d.date_start,
            "date_end": d.date_end,
            "previous_date_start": d.previous_start,
            "previous_date_end": d.previous_end,
            "dated_on": d.dated_on,
            "first_seen_at": now,
            "last_seen_at": now,
            "reported_at": d.reported_at,
            "source_count": d.source_count,
            "article_count": d.article_count,
            "article_id": d.article_id,
            "sentence": d.sentence,
            "title": d.title,
            "url": d.url,
            "status": d.status,
            "run_id": run_id,
        }
        for key in sorted(set(seen))
        if (d := state[key])
    ]
    columns = [c.name for c in tracked_deadlines.columns if c.name not in ("deadline_key", "first_seen_at")]
    upsert(conn, tracked_deadlines, rows, update=columns)
    conn.execute(
        update(tracked_deadlines)
        .where(tracked_deadlines.c.status == "upcoming", tracked_deadlines.c.date_end < today)
        .values(status="passed")
    )
    conn.execute(update(runs).where(runs.c.alerted_at.is_(None)).values(alerted_at=now))


def record_alerts(
    conn: Connection, rows: Sequence[AlertRow], *, run_id: str, now: datetime
) -> list[AlertRow]:
    """Add alerts to the outbox; one already there (same id) is left as it is. Returns the new ones."""
    if not rows:
        return []
    ids = [r.alert_id for r in rows]
    existing = set(conn.execute(select(alerts.c.alert_id).where(alerts.c.alert_id.in_(ids))).scalars())
    new = [r for r in {r.alert_id: r for r in rows}.values() if r.alert_id not in existing]
    upsert(
        conn,
        alerts,
        [
            {
                "alert_id": r.alert_id,
                "kind": r.kind.value,
                "deadline_key": r.deadline_key,
                "date_start": r.date_start,
                "date_end": r.date_end,
                "channel": r.channel,
                "message": r.message,
                "created_at": now,
                "sent_at": None,
                "status": r.status,
                "attempts": 0,
                "last_error": None,
                "run_id": run_id,
            }
            for r in new
        ],
        update=(),
    )
    return new


def unsent(conn: Connection, channels: Sequence[str], max_attempts: int) -> list[AlertRow]:
    """Alerts still to send to these channels (pending, or failed fewer than `max_attempts` times), oldest
    first."""
    if not channels:
        return []
    rows = conn.execute(
        select(alerts)
        .where(
            alerts.c.channel.in_(list(channels)),
            alerts.c.status.in_(("pending", "failed")),
            alerts.c.attempts < max_attempts,
        )
        .order_by(alerts.c.created_at, alerts.c.date_start, alerts.c.deadline_key, alerts.c.kind)
    ).mappings()
    return [
        AlertRow(
            r["alert_id"],
            AlertKind(r["kind"]),
            r["deadline_key"],
            r["date_start"],
            r["date_end"],
            r["channel"],
            r["message"],
            r["status"],
            r["attempts"],
        )
        for r in rows
    ]


def mark(conn: Connection, ids: Sequence[str], *, ok: bool, now: datetime, error: str | None) -> None:
    """One send's result for every alert of its digest."""
    if not ids:
        return
    conn.execute(
        update(alerts)
        .where(alerts.c.alert_id.in_(list(ids)))
        .values(
            status="sent" if ok else "failed",
            sent_at=now if ok else None,
            attempts=alerts.c.attempts + 1,
            last_error=None if ok else error,
        )
    )
