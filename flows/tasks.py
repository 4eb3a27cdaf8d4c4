"""The daily flow's steps as Prefect tasks, each over a whole batch (a task run costs ~35 ms of Prefect
overhead, so one task per article would cost more than the work).

Tasks hold no logic of their own beyond wiring: fetching and parsing live in extractors/, storage in
warehouse/. No task caches its inputs (NO_CACHE): hashing megabytes of HTML would buy nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError
from prefect.logging import get_run_logger

from extractors.feeds import parse_feed
from extractors.http import ARTICLE_ACCEPT, FEED_ACCEPT, fetch_all
from extractors.models import FetchOutcome, FetchResult, Validators
from extractors.urls import article_id, canonical_url
from flows.config import HttpSettings, PipelineSettings, SourceConfig
from flows.page_work import ProcessedPage, process_page
from flows.progress import RunProgress
from warehouse import frontier, store
from warehouse.engine import WarehouseBusy, reader, writer
from warehouse.records import ArticleRecord, FeedPoll, PendingArticle, SourceRecord


def logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The run logger inside a flow run, a plain logger when a task's `.fn` is called directly."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("tradewatch")


def source_id(source: SourceConfig) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in source.name.lower()).split())


@task(name="poll-feeds", cache_policy=NO_CACHE)
def poll_feeds(
    sources: Sequence[SourceConfig],
    validators: dict[str, Validators],
    http: HttpSettings,
    progress: RunProgress,
) -> list[FeedPoll]:
    """Fetch every feed (conditional GET) and parse what changed. One broken source is a logged,
    counted failure; it never stops the others."""
    log = logger()
    requests = [(str(s.feed_url), validators.get(source_id(s))) for s in sources]
    with progress.stage("poll", len(requests)) as advance:
        results = fetch_all(http, requests, lambda _: advance(1), accept=FEED_ACCEPT)
    polls = []
    for source, result in zip(sources, results, strict=True):
        feed = None
        if result.outcome is FetchOutcome.OK:
            feed = parse_feed(result.body, url=result.final_url or result.url, headers=result.headers)
            if feed.bozo:
                log.warning(
                    "source %s: malformed feed (%s); kept %d entries",
                    source.name,
                    feed.bozo_reason,
                    len(feed.entries),
                )
            if feed.parse_failed:
                log.warning(
                    "source %s: feed unreadable (%s); its validators are not kept",
                    source.name,
                    feed.bozo_reason,
                )
        elif result.outcome is not FetchOutcome.NOT_MODIFIED:
            log.warning("source %s: feed fetch failed: %s: %s", source.name, result.outcome, result.error)
        polls.append(FeedPoll(source_id(source), datetime.now(UTC), replace(result, body=b""), feed))
    return polls


def source_records(
    sources: Sequence[SourceConfig], polls: Sequence[FeedPoll], previous: dict[str, Validators]
) -> list[SourceRecord]:
    """Each source's new state: validators from a successful poll, else the ones it had."""
    by_source = {p.source_id: p for p in polls}
    records = []
    for source in sources:
        sid = source_id(source)
        poll = by_source.get(sid)
        validators = previous.get(sid, Validators())
        if poll and poll.outcome == FetchOutcome.OK:
            validators = poll.fetch.validators
        records.append(
            SourceRecord(
                source_id=sid,
                name=source.name,
                feed_url=str(source.feed_url),
                country=source.country,
                language=source.language,
                enabled=source.enabled,
                validators=validators,
                last_polled_at=poll.fetched_at if poll else None,
                last_outcome=poll.outcome if poll else None,
            )
        )
    return records


def candidate_articles(
    sources: Sequence[SourceConfig], polls: Sequence[FeedPoll]
) -> tuple[list[PendingArticle], int]:
    """Every entry of this run's feeds once (first feed wins), keyed by canonical URL; and how many
    entries had a link that cannot be fetched."""
    language = {source_id(s): s.language for s in sources}
    seen: dict[str, PendingArticle] = {}
    invalid = 0
    for poll in polls:
        for entry in poll.feed.entries if poll.feed else ():
            try:
                canonical = canonical_url(entry.link)
            except ValueError as exc:
                logger().warning("source %s: entry link skipped: %s", poll.source_id, exc)
                invalid += 1
                continue
            aid = article_id(canonical)
            seen.setdefault(
                aid, PendingArticle(aid, canonical, poll.source_id, entry, language[poll.source_id])
            )
    return list(seen.values()), invalid


@task(name="record-polls", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def record_polls(
    run_id: str,
    sources: Sequence[SourceRecord],
    polls: Sequence[FeedPoll],
    candidates: Sequence[PendingArticle],
    warehouse: Path,
    lock_timeout_s: float,
) -> list[FeedPoll]:
    """The feeds' new validators and the articles they announced, in one transaction: a validator is never
    stored without the entries it stands for. Returns the polls with their count of newly queued entries."""
    with writer(warehouse, lock_timeout_s=lock_timeout_s) as conn:
        return store.record_polls(conn, run_id, sources, polls, candidates, now=datetime.now(UTC))


@task(name="due-articles", cache_policy=NO_CACHE)
def due_articles(warehouse: Path, lock_timeout_s: float, max_attempts: int) -> list[PendingArticle]:
    """What the frontier holds to fetch now: this poll's new entries and whatever earlier runs left."""
    with reader(warehouse, lock_timeout_s=lock_timeout_s) as conn:
        return frontier.due(conn, now=datetime.now(UTC), max_attempts=max_attempts)


@task(name="fetch-articles", cache_policy=NO_CACHE)
def fetch_articles(
    batch: Sequence[PendingArticle], http: HttpSettings, progress: RunProgress
) -> list[FetchResult]:
    with progress.stage("fetch", len(batch)) as advance:
        return fetch_all(
            http, [(p.entry.link, None) for p in batch], lambda _: advance(1), accept=ARTICLE_ACCEPT
        )


@task(name="extract-and-detect", cache_policy=NO_CACHE)
def extract_articles(
    batch: Sequence[PendingArticle],
    fetched: Sequence[FetchResult],
    pool: Executor,
    progress: RunProgress,
) -> list[ArticleRecord]:
    """Extract, detect and compress the fetched pages in the process pool (CPU-bound: both cores work)."""
    now = datetime.now(UTC)
    records = []
    with progress.stage("extract", len(batch)) as advance:
        futures: list[Future[ProcessedPage] | None] = [
            pool.submit(
                process_page,
                result.body,
                url=result.final_url or result.url,
                content_type=result.content_type,
                fallback_published_at=pending.entry.published_at,
                fallback_language=pending.language,
                fetched_on=now.date(),
            )
            if result.outcome is FetchOutcome.OK
            else None
            for pending, result in zip(batch, fetched, strict=True)
        ]
        for pending, result, future in zip(batch, fetched, futures, strict=True):
            page = future.result() if future else None
            records.append(
                ArticleRecord(
                    pending,
                    now,
                    replace(result, body=b""),
                    page.article if page else None,
                    page.detection if page else None,
                    page.body_gzip if page else None,
                    len(result.body),
                )
            )
            advance(1)
    log = logger()
    for record in records:
        status = store.article_status(record)
        if status != "ok":
            error = (record.article.error if record.article else None) or record.fetch.error or ""
            log.warning("article %s: %s %s", record.pending.entry.link, status, error)
    return records


@task(name="load-articles", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1)
def load_articles(
    records: Sequence[ArticleRecord],
    run_id: str,
    warehouse: Path,
    pipeline: PipelineSettings,
    lock_timeout_s: float,
    progress: RunProgress,
) -> list[ArticleRecord]:
    """Load a batch in one transaction; the records that were stored. Should the batch fail for anything
    but the lock, each record is tried alone, so one record no load accepts cannot hold back the others;
    it is counted against its frontier row (and given up after `max_article_attempts` runs). If even that
    cannot be written (a full disk), the error stops the run and the frontier keeps every row."""
    with progress.stage("load", len(records)) as advance:
        try:
            _save(records, run_id, warehouse, pipeline, lock_timeout_s)
            advance(len(records))
            return list(records)
        except WarehouseBusy:
            raise
        except Exception as exc:
            logger().warning("batch load failed (%s); loading its %d articles one by one", exc, len(records))
        stored = []
        for record in records:
            try:
                _save([record], run_id, warehouse, pipeline, lock_timeout_s)
                stored.append(record)
            except WarehouseBusy:
                raise
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                logger().error(
                    "article %s: load failed (tried again next run): %s", record.pending.entry.link, error
                )
                with writer(warehouse, lock_timeout_s=lock_timeout_s) as conn:
                    frontier.record_load_failure(
                        conn, [record.pending.article_id], error, now=datetime.now(UTC), run_id=run_id
                    )
            advance(1)
        return stored


def _save(
    records: Sequence[ArticleRecord],
    run_id: str,
    warehouse: Path,
    pipeline: PipelineSettings,
    lock_timeout_s: float,
) -> None:
    with writer(warehouse, lock_timeout_s=lock_timeout_s) as conn:
        store.save_articles(
            conn,
            run_id,
            records,
            max_attempts=pipeline.max_article_attempts,
            retry_delay=timedelta(seconds=pipeline.retry_delay_s),
        )
