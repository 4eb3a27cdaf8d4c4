"""The frontier on a real DuckDB file: queued once, drained in order, settled only by the load."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from extractors.models import Article, ExtractionStatus, FeedEntry, FetchOutcome, FetchResult
from warehouse import frontier, store
from warehouse.engine import writer
from warehouse.migrate import ensure_schema
from warehouse.records import ArticleRecord, PendingArticle

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def pending(n: int, source: str = "wire", attempts: int = 0) -> PendingArticle:
    link = f"https://news.example/{n}.html"
    entry = FeedEntry(
        link, title=f"Story {n}", published_at=NOW - timedelta(hours=n), summary="s", guid=f"g{n}"
    )
    return PendingArticle(f"id{n:03d}", link, source, entry, "en", previous_attempts=attempts)


def stored(item: PendingArticle, outcome: FetchOutcome = FetchOutcome.OK) -> ArticleRecord:
    fetch = FetchResult(item.entry.link, outcome, status=200 if outcome is FetchOutcome.OK else None)
    article = None
    if outcome is FetchOutcome.OK:
        text_ = "A tariff story with enough words to count as an article body for the extractor. " * 3
        article = Article(item.entry.link, ExtractionStatus.OK, title=item.entry.title, text=text_)
    else:
        fetch = FetchResult(item.entry.link, outcome, error="timed out (ReadTimeout)")
    return ArticleRecord(item, NOW, fetch, article)


@pytest.fixture
def conn(tmp_path: Path) -> object:
    with writer(tmp_path / "w.duckdb") as connection:
        ensure_schema(connection, NOW)
        yield connection


def queued_ids(conn: Connection) -> list[str]:
    return list(conn.execute(text("select article_id from frontier order by article_id")).scalars())


def test_enqueue_queues_each_article_once_and_never_a_stored_one(conn: Connection) -> None:
    first = frontier.enqueue(
        conn, [pending(1), pending(2), pending(2), pending(3, "ministry")], now=NOW, run_id="r1"
    )
    assert first == {"wire": 2, "ministry": 1}
    store.save_articles(conn, "r1", [stored(pending(1))], max_attempts=3)
    again = frontier.enqueue(conn, [pending(1), pending(2), pending(4)], now=NOW, run_id="r2")
    assert again == {"wire": 1}  # 1 is stored, 2 is queued already
    assert queued_ids(conn) == ["id002", "id003", "id004"]


def test_due_returns_the_feed_entry_oldest_first(conn: Connection) -> None:
    frontier.enqueue(conn, [pending(5)], now=NOW - timedelta(days=1), run_id="r0")  # a killed run's
    frontier.enqueue(conn, [pending(2), pending(1)], now=NOW, run_id="r1")
    due = frontier.due(conn, now=NOW, max_attempts=3)
    assert [d.article_id for d in due] == ["id005", "id001", "id002"]
    assert due[0] == pending(5)  # the entry comes back whole, for the article row


def test_settle_drops_what_is_stored_and_counts_transient_failures(conn: Connection) -> None:
    items = [pending(1), pending(2), pending(3)]
    frontier.enqueue(conn, items, now=NOW, run_id="r1")
    records = [
        stored(items[0]),
        stored(items[1], FetchOutcome.TIMEOUT),
        stored(items[2], FetchOutcome.BLOCKED),
    ]
    store.save_articles(conn, "r1", records, max_attempts=3, retry_delay=timedelta(hours=1))
    rows = conn.execute(text("select article_id, attempts, last_error, next_attempt_at from frontier")).all()
    assert [(r[0], r[1], r[2]) for r in rows] == [("id002", 1, "timed out (ReadTimeout)")]
    assert rows[0][3] == NOW + timedelta(hours=1)
    assert frontier.due(conn, now=NOW, max_attempts=3) == []  # not before its retry delay
    [retry] = frontier.due(conn, now=NOW + timedelta(hours=1), max_attempts=3)
    assert retry.previous_attempts == 1

    # Its third failure is its last: the article row keeps the error, the queue lets it go.
    store.save_articles(conn, "r2", [stored(pending(2, attempts=2), FetchOutcome.TIMEOUT)], max_attempts=3)
    assert queued_ids(conn) == []
    status = conn.execute(text("select extraction_status, attempts from articles where article_id = 'id002'"))
    assert status.one() == ("timeout", 3)


def test_a_failed_load_is_counted_on_the_row_and_ends_its_retries(conn: Connection) -> None:
    frontier.enqueue(conn, [pending(1)], now=NOW, run_id="r1")
    for run in ("r1", "r2", "r3"):
        frontier.record_load_failure(conn, ["id001"], "ArrowInvalid: bad row", now=NOW, run_id=run)
    row = conn.execute(text("select attempts, last_error from frontier")).one()
    assert row == (3, "load failed: ArrowInvalid: bad row")
    assert frontier.due(conn, now=NOW, max_attempts=3) == []  # given up, and kept as a record of why
