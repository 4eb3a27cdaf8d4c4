"""The warehouse's domain operations: what a run reads before it fetches, and what it writes after."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, select, update

from extractors.detect.models import Detection
from extractors.models import ExtractionStatus, Validators
from warehouse import frontier
from warehouse.detections import ArticleDetection, replace_detections
from warehouse.load import UpsertResult, replace_lone_surrogates, staged, upsert
from warehouse.records import ArticleRecord, FeedPoll, PendingArticle, SourceRecord
from warehouse.schema import articles, feed_fetches, raw_pages, runs, sources


@dataclass(frozen=True, slots=True)
class RunCounts:
    sources_polled: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    entries_seen: int = 0
    articles_new: int = 0
    articles_skipped: int = 0
    articles_failed: int = 0
    tariffs_found: int = 0
    deadlines_found: int = 0
    events_found: int = 0


def start_run(
    conn: Connection, run_id: str, *, started_at: datetime, flow_run_id: str | None, config_path: str | None
) -> None:
    upsert(
        conn,
        runs,
        [
            {
                "run_id": run_id,
                "flow_run_id": flow_run_id,
                "started_at": started_at,
                "status": "running",
                "config_path": config_path,
                "pid": os.getpid(),
                "hostname": socket.gethostname(),
            }
        ],
    )


def abandon_stale_runs(conn: Connection, *, now: datetime) -> int:
    """Mark `running` rows as `abandoned`. Only for a caller holding the run lock
    (`warehouse.run_lock`): then no other run is alive, so a `running` row is a run whose process died."""
    stale = conn.execute(select(runs.c.run_id).where(runs.c.status == "running")).scalars().all()
    if stale:
        conn.execute(
            update(runs)
            .where(runs.c.run_id.in_(stale))
            .values(status="abandoned", finished_at=now, error="its process ended before the run finished")
        )
    return len(stale)


def finish_run(
    conn: Connection,
    run_id: str,
    *,
    finished_at: datetime,
    status: str,
    counts: RunCounts,
    duration_s: float,
    error: str | None = None,
    alerted_at: datetime | None = None,
) -> None:
    values: dict[str, Any] = {
        "alerted_at": alerted_at,
        "finished_at": finished_at,
        "status": status,
        "duration_s": duration_s,
        "error": error,
        **{name: getattr(counts, name) for name in RunCounts.__slots__},
    }
    conn.execute(update(runs).where(runs.c.run_id == run_id).values(**values))


def source_validators(conn: Connection) -> dict[str, Validators]:
    rows = conn.execute(select(sources.c.source_id, sources.c.etag, sources.c.last_modified))
    return {r.source_id: Validators(etag=r.etag, last_modified=r.last_modified) for r in rows}


def record_polls(
    conn: Connection,
    run_id: str,
    sources: Sequence[SourceRecord],
    polls: Sequence[FeedPoll],
    candidates: Sequence[PendingArticle],
    *,
    now: datetime,
) -> list[FeedPoll]:
    """A run's polls in one step: the entries they announced queued in the frontier, the sources' new
    validators, and the polls, each with how many of its entries were new."""
    queued = frontier.enqueue(conn, candidates, now=now, run_id=run_id)
    polls = [replace(p, new_entries=queued[p.source_id]) for p in polls]
    save_sources(conn, run_id, sources)
    save_feed_polls(conn, run_id, polls)
    return polls


def save_sources(conn: Connection, run_id: str, records: Sequence[SourceRecord]) -> UpsertResult:
    return upsert(
        conn,
        sources,
        [
            {
                "source_id": r.source_id,
                "name": r.name,
                "feed_url": r.feed_url,
                "country": r.country,
                "language": r.language,
                "enabled": r.enabled,
                "etag": r.validators.etag,
                "last_modified": r.validators.last_modified,
                "last_polled_at": r.last_polled_at,
                "last_outcome": r.last_outcome,
                "run_id": run_id,
            }
            for r in records
        ],
    )


def save_feed_polls(conn: Connection, run_id: str, polls: Sequence[FeedPoll]) -> UpsertResult:
    return upsert(
        conn,
        feed_fetches,
        [
            {
                "fetch_id": f"{run_id}:{p.source_id}",
                "run_id": run_id,
                "source_id": p.source_id,
                "fetched_at": p.fetched_at,
                "outcome": p.outcome,
                "http_status": p.fetch.status,
                "etag": p.fetch.validators.etag,
                "last_modified": p.fetch.validators.last_modified,
                "entry_count": len(p.feed.entries) if p.feed else 0,
                "new_entry_count": p.new_entries,
                "skipped_entry_count": p.feed.skipped_entries if p.feed else 0,
                "bozo": bool(p.feed and p.feed.bozo),
                "error": p.fetch.error or (p.feed.bozo_reason if p.feed else None),
                "duration_ms": round(p.fetch.elapsed_s * 1000),
            }
            for p in polls
        ],
    )


def article_status(record: ArticleRecord) -> str:
    """ok | empty | not_html | failed from extraction, or the fetch outcome when the fetch failed."""
    if record.article is None:
        return record.fetch.outcome.value
    return record.article.status.value


def save_articles(
    conn: Connection,
    run_id: str,
    records: Sequence[ArticleRecord],
    *,
    max_attempts: int,
    retry_delay: timedelta = timedelta(0),
) -> UpsertResult:
    """Articles, the raw HTML (gzip) of pages that were fetched and what detection found, and their
    frontier rows settled, in one step: an article leaves the queue only when it is stored."""
    now = max((r.fetched_at for r in records), default=datetime.now(UTC))
    frontier.settle(conn, records, now=now, run_id=run_id, max_attempts=max_attempts, retry_delay=retry_delay)
    result = upsert(conn, articles, [_article_row(run_id, r) for r in records])
    replace_detections(
        conn,
        run_id,
        [
            ArticleDetection(r.pending.article_id, _published_on(r), r.detection)
            for r in records
            if r.detection is not None
        ],
    )
    upsert(
        conn,
        raw_pages,
        [
            {
                "article_id": r.pending.article_id,
                "final_url": r.fetch.final_url or r.fetch.url,
                "http_status": r.fetch.status,
                "content_type": r.fetch.content_type,
                "fetched_at": r.fetched_at,
                "size_bytes": r.size_bytes,
                "body_gzip": r.body_gzip,
                "run_id": run_id,
            }
            for r in records
            if r.body_gzip is not None
        ],
    )
    return result


def detection_status(detection: Detection | None) -> str | None:
    if detection is None:
        return None
    return "detected" if detection.language else "unsupported_language"


def set_detection_status(conn: Connection, statuses: Mapping[str, str | None]) -> None:
    """After detection ran again (`tradewatch reprocess`): each article's `detection_status`."""
    if not statuses:
        return
    data = pa.table(
        {
            "article_id": pa.array(list(statuses), pa.large_string()),
            "detection_status": pa.array(list(statuses.values()), pa.large_string()),
        }
    )
    with staged(conn, data) as batch:
        conn.exec_driver_sql(
            f"update articles set detection_status = b.detection_status from {batch} b "
            "where articles.article_id = b.article_id"
        )


def _published_on(record: ArticleRecord) -> date:
    published = (record.article.published_at if record.article else None) or record.pending.entry.published_at
    return (published or record.fetched_at).date()


def _article_row(run_id: str, record: ArticleRecord) -> Mapping[str, Any]:
    pending, fetch, article = record.pending, record.fetch, record.article
    text = article.text if article and article.status is ExtractionStatus.OK else None
    return {
        "article_id": pending.article_id,
        "source_id": pending.source_id,
        "url": pending.entry.link,
        "canonical_url": pending.canonical_url,
        "final_url": fetch.final_url,
        "feed_title": pending.entry.title,
        "title": (article.title if article else None) or pending.entry.title,
        "author": (article.author if article else None) or pending.entry.author,
        "published_at": (article.published_at if article else None) or pending.entry.published_at,
        "fetched_at": record.fetched_at,
        "language": (article.language if article else None) or pending.language,
        "site_name": article.site_name if article else None,
        "text": text,
        # the hash of the text as stored: the load turns lone surrogates into U+FFFD
        "text_sha256": hashlib.sha256(replace_lone_surrogates(text).encode()).hexdigest() if text else None,
        "word_count": article.word_count if article and text else 0,
        "extraction_status": article_status(record),
        "http_status": fetch.status,
        "error": (article.error if article else None) or fetch.error,
        "attempts": pending.previous_attempts + 1,  # runs that tried it, not HTTP retries
        "detection_status": detection_status(record.detection),
        "run_id": run_id,
    }
