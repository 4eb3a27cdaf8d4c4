"""The frontier: articles a feed announced and the warehouse has not settled yet, as durable rows.

A poll's new entries are queued in the transaction that stores the feed's validators (`enqueue`); a
run fetches what is due (`due`); the transaction that loads an article also settles its row (`settle`):
gone once the article is stored for good, kept with its attempt count and error after a transient
failure, until `max_attempts`. A run that dies at any point leaves the queue as the next run needs it.
This is how crawlers that must not lose work keep their frontier (Scrapy's job directory, Media Cloud's
story queue): the decision what to fetch lives in storage, not in a process's memory.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import pyarrow as pa
from sqlalchemy import Connection, delete, select

from extractors.models import FeedEntry
from warehouse.load import staged, to_arrow
from warehouse.records import ArticleRecord, PendingArticle
from warehouse.schema import frontier


def enqueue(
    conn: Connection, candidates: Sequence[PendingArticle], *, now: datetime, run_id: str
) -> Counter[str]:
    """Queue the candidates that are neither stored nor queued yet; returns how many were queued per
    source. Candidates are joined in the database, so memory does not grow with the warehouse."""
    if not candidates:
        return Counter()
    rows = [
        {
            "article_id": c.article_id,
            "source_id": c.source_id,
            "url": c.entry.link,
            "canonical_url": c.canonical_url,
            "language": c.language,
            "entry_title": c.entry.title,
            "entry_published_at": c.entry.published_at,
            "entry_summary": c.entry.summary,
            "entry_guid": c.entry.guid,
            "entry_author": c.entry.author,
            "discovered_at": now,
            "attempts": 0,
            "next_attempt_at": now,
            "run_id": run_id,
        }
        for c in {c.article_id: c for c in candidates}.values()
    ]
    with staged(conn, to_arrow(frontier, rows)) as batch:
        added = (
            conn.exec_driver_sql(
                f"select b.source_id from {batch} b where not exists "
                "(select 1 from articles a where a.article_id = b.article_id) "
                "and not exists (select 1 from frontier f where f.article_id = b.article_id)"
            )
            .scalars()
            .all()
        )
        conn.exec_driver_sql(
            f"insert into frontier select b.* from {batch} b "
            "where not exists (select 1 from articles a where a.article_id = b.article_id) "
            "on conflict do nothing"
        )
    return Counter(added)


def due(conn: Connection, *, now: datetime, max_attempts: int) -> list[PendingArticle]:
    """The queued articles to fetch now, oldest first (a killed run's leftovers before today's news)."""
    f = frontier.c
    rows = conn.execute(
        select(frontier)
        .where(f.next_attempt_at <= now, f.attempts < max_attempts)
        .order_by(f.discovered_at, f.article_id)
    ).all()
    return [
        PendingArticle(
            article_id=r.article_id,
            canonical_url=r.canonical_url,
            source_id=r.source_id,
            entry=FeedEntry(
                link=r.url,
                title=r.entry_title,
                published_at=r.entry_published_at,
                summary=r.entry_summary,
                guid=r.entry_guid,
                author=r.entry_author,
            ),
            language=r.language,
            previous_attempts=r.attempts,
        )
        for r in rows
    ]


def settle(
    conn: Connection,
    records: Sequence[ArticleRecord],
    *,
    now: datetime,
    run_id: str,
    max_attempts: int,
    retry_delay: timedelta,
) -> None:
    """In the load's transaction: drop the rows of articles now stored for good, and count a transient
    failure against its row (dropped too once it reaches `max_attempts`: the article row keeps the error)."""
    retry = [
        r for r in records if r.article is None and r.fetch.is_transient
        and r.pending.previous_attempts + 1 < max_attempts
    ]  # fmt: skip
    retried = {r.pending.article_id for r in retry}
    done = [r.pending.article_id for r in records if r.pending.article_id not in retried]
    if done:
        conn.execute(delete(frontier).where(frontier.c.article_id.in_(done)))
    if retry:
        failures = pa.table(
            {
                "article_id": pa.array([r.pending.article_id for r in retry], pa.large_string()),
                "attempts": pa.array([r.pending.previous_attempts + 1 for r in retry], pa.int32()),
                "last_error": pa.array([r.fetch.error for r in retry], pa.large_string()),
            }
        )
        with staged(conn, failures) as batch:
            conn.exec_driver_sql(
                f"update frontier set attempts = b.attempts, last_error = b.last_error, "
                f"last_attempt_at = ?, next_attempt_at = ?, run_id = ? from {batch} b "
                "where frontier.article_id = b.article_id",
                (now, now + retry_delay, run_id),
            )


def record_load_failure(
    conn: Connection, article_ids: Sequence[str], error: str, *, now: datetime, run_id: str
) -> None:
    """Count a load that failed against the articles' rows, so that one article no load accepts is given
    up after `max_attempts` runs instead of failing every run."""
    if not article_ids:
        return
    conn.execute(
        frontier.update()
        .where(frontier.c.article_id.in_(list(article_ids)))
        .values(
            attempts=frontier.c.attempts + 1,
            last_error=f"load failed: {error}"[:1000],
            last_attempt_at=now,
            run_id=run_id,
        )
    )
