"""tracked_deadlines and the alerts outbox on a real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from extractors.deadline_alerts import AlertKind, reconcile
from warehouse import alerts as outbox
from warehouse.engine import writer
from warehouse.load import upsert
from warehouse.migrate import ensure_schema
from warehouse.schema import articles, deadlines

NOW = datetime(2026, 11, 24, 7, tzinfo=UTC)
TODAY = NOW.date()


def _article(aid: str, source: str, published: date) -> dict[str, object]:
    return {
        "article_id": aid,
        "source_id": source,
        "url": f"http://news.test/{aid}",
        "canonical_url": f"http://news.test/{aid}",
        "title": f"Story {aid}",
        "published_at": datetime.combine(published, datetime.min.time(), tzinfo=UTC),
        "fetched_at": NOW,
        "word_count": 100,
        "extraction_status": "ok",
        "attempts": 1,
        "run_id": "r0",
    }


def _deadline(aid: str, n: int, day: date, sentence: str, run_id: str) -> dict[str, object]:
    return {
        "deadline_id": f"{aid}:{n}",
        "article_id": aid,
        "date_start": day,
        "date_end": day,
        "description": "d",
        "sentence": sentence,
        "run_id": run_id,
    }


@pytest.fixture
def conn(tmp_path: Path) -> Iterator[Connection]:
    with writer(tmp_path / "tw.duckdb") as c:
        ensure_schema(c, NOW)
        yield c


def _seed(conn: Connection, today: date) -> None:
    truce = "The tariff truce between the United States and China expires on that day."
    upsert(
        conn,
        articles,
        [
            _article("a1", "wire", today - timedelta(days=5)),
            _article("a2", "ministry", today - timedelta(days=3)),
        ],
    )
    upsert(
        conn,
        deadlines,
        [
            _deadline("a1", 0, today + timedelta(days=12), truce, "r0"),
            # An old run's past deadline: not read again.
            _deadline("a1", 1, today - timedelta(days=40), "Canada's surtax on US steel rose then.", "r0"),
            _deadline("a2", 0, today + timedelta(days=12), truce, "r1"),
            # This run's past deadline: read, to be recorded.
            _deadline("a2", 1, today - timedelta(days=2), "Mexico's duties on Chinese cars rose then.", "r1"),
        ],
    )


def test_found_deadlines_reads_future_reports_and_this_runs_past_ones(conn: Connection) -> None:
    _seed(conn, TODAY)
    found = outbox.found_deadlines(conn, "r1", TODAY)
    assert sorted((f.key, f.article_id, f.source_id, (f.date_start - TODAY).days) for f in found) == [
        ("CHN+MEX|tariff|autos", "a2", "ministry", -2),
        ("CHN+USA|truce", "a1", "wire", 12),
        ("CHN+USA|truce", "a2", "ministry", 12),
    ]
    assert {f.url for f in found} == {"http://news.test/a1", "http://news.test/a2"}


def test_tracked_state_round_trips_and_keeps_its_first_seen_time(conn: Connection) -> None:
    _seed(conn, TODAY)
    found = outbox.found_deadlines(conn, "r1", TODAY)
    result = reconcile({}, found, TODAY, 7)
    assert [(a.kind, a.key) for a in result.alerts] == [(AlertKind.NEW, "CHN+USA|truce")]
    state, keys = result.state, result.seen
    assert keys == ["CHN+MEX|tariff|autos", "CHN+USA|truce"]
    outbox.save_tracked(conn, state, keys, run_id="r1", now=NOW, today=TODAY)
    known = outbox.known_deadlines(conn)
    assert known == state
    assert known["CHN+USA|truce"].source_count == 2
    assert known["CHN+MEX|tariff|autos"].status == "past_when_seen"

    later = NOW + timedelta(days=1)
    outbox.save_tracked(conn, known, keys, run_id="r2", now=later, today=TODAY + timedelta(days=1))
    first, last = conn.execute(
        text("select first_seen_at, last_seen_at from tracked_deadlines where deadline_key = 'CHN+USA|truce'")
    ).one()
    assert (first, last) == (NOW, later)


def _row(kind: AlertKind, channel: str, day: date = date(2026, 12, 6)) -> outbox.AlertRow:
    aid = outbox.alert_id(kind, "CHN+USA|truce", day, day, channel)
    return outbox.AlertRow(aid, kind, "CHN+USA|truce", day, day, channel, f"{kind} {day}", "pending")


def test_outbox_records_each_alert_once_per_channel_and_tracks_sends(conn: Connection) -> None:
    a, b = "json://127.0.0.1:1/a", "json://127.0.0.1:1/b"
    rows = [_row(AlertKind.NEW, a), _row(AlertKind.NEW, b)]
    assert len({r.alert_id for r in rows}) == 2  # the channel is part of the identity
    assert outbox.record_alerts(conn, rows, run_id="r1", now=NOW) == rows
    assert outbox.record_alerts(conn, rows, run_id="r2", now=NOW) == []  # a second run adds nothing

    assert [r.channel for r in outbox.unsent(conn, [a], 3)] == [a]
    outbox.mark(conn, [rows[0].alert_id], ok=False, now=NOW, error="HTTP 500")
    outbox.mark(conn, [rows[1].alert_id], ok=True, now=NOW, error=None)
    retry = outbox.unsent(conn, [a, b], 3)
    assert [(r.channel, r.status, r.attempts) for r in retry] == [(a, "failed", 1)]
    assert outbox.unsent(conn, [a, b], 1) == []  # out of attempts
    status = dict(
        conn.execute(text("select channel, status || ':' || coalesce(last_error, '') from alerts")).all()
    )
    assert status == {a: "failed:HTTP 500", b: "sent:"}


def test_upcoming_deadlines_view_lists_future_deadlines_with_first_seen_and_sources(conn: Connection) -> None:
    # The view reads the database's clock: dates here are relative to the real day.
    today = datetime.now(UTC).date()
    _seed(conn, today)
    found = outbox.found_deadlines(conn, "r1", today)
    result = reconcile({}, found, today, 7)
    keys = result.seen
    outbox.save_tracked(conn, result.state, keys, run_id="r1", now=NOW, today=today)
    rows = conn.execute(
        text("select deadline_key, days_left, source_count, first_seen_at from upcoming_deadlines")
    ).all()
    assert [tuple(r) for r in rows] == [("CHN+USA|truce", 12, 2, NOW)]
