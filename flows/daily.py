"""The daily flow: poll feeds -> queue their new entries -> fetch -> extract and detect -> load, in batches.

Nothing a feed announced is lost: a poll's entries are queued in the warehouse's frontier in the same
transaction that stores the feed's validators, and an article leaves the queue in the transaction that
loads it, so a run that dies anywhere leaves the next one all it needs. One run at a time per warehouse
(`warehouse.run_lock`). Batches are pipelined: while the process pool extracts and detects batch k, the
next batch is fetched; the writer holds the DuckDB file only for one short load at a time.
"""

# No `from __future__ import annotations` in this module: `tradewatch serve` ships `daily` to its run
# process by value (cloudpickle), with only the globals its code reads, so string annotations such as
# "date | None" could no longer be resolved there and every deployed run failed parameter validation.

import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run
from prefect.states import Failed, State

from flows import tasks
from flows.alerts import alert_deadlines
from flows.child_processes import pool_worker_init
from flows.config import Settings, SourceConfig, load_settings
from flows.progress import RunProgress
from flows.sample_news import serve_sample
from flows.summary import RunSummary, summary_markdown
from warehouse import store
from warehouse.engine import WarehouseError, writer
from warehouse.migrate import ensure_schema
from warehouse.records import ArticleRecord, FeedPoll, PendingArticle
from warehouse.run_lock import run_lock


@flow(name="daily", description="Poll trade-policy feeds, fetch and extract new articles, load DuckDB.")
def daily(config_path: str | None = None, today: date | None = None) -> RunSummary | State[Any]:
    """`today` pins the sample corpus's dates (tests); real runs leave it unset.

    Ends Failed (with a one-line message, and the summary as its data where there is one) when another
    run holds the warehouse, the warehouse cannot be written, or every source failed: a cron user must
    not see success then. Some sources failing is a completed run whose summary names them."""
    settings = load_settings(Path(config_path) if config_path else None)
    day = today or datetime.now(UTC).date()
    try:
        with run_lock(settings.warehouse.path, timeout_s=settings.warehouse.run_wait_s):
            with _sources(settings, day) as (settings, sources):
                summary = run_pipeline(settings, sources, config_path=config_path, flow_run_id=flow_run.id)
            # After the load, never before: an alert step that fails is logged and leaves the load standing.
            summary = replace(summary, alerts=alert_deadlines(settings, summary.run_id, day))
    except WarehouseError as exc:
        return Failed(message=str(exc), data=exc)
    create_markdown_artifact(
        key="daily-run-summary", markdown=summary_markdown(summary), description="tradewatch daily run"
    )
    if summary.error:
        return Failed(message=summary.error, data=summary)
    return summary


@contextmanager
def _sources(settings: Settings, today: date) -> Iterator[tuple[Settings, tuple[SourceConfig, ...]]]:
    """The configured sources, or the bundled sample news served on 127.0.0.1 for the run's length."""
    if not settings.sample:
        yield settings, settings.enabled_sources
        return
    with serve_sample(today) as (_, sources):
        http = settings.http.model_copy(
            update={"allowed_private_hosts": (*settings.http.allowed_private_hosts, "127.0.0.1")}
        )
        yield settings.model_copy(update={"http": http}), sources


def run_pipeline(
    settings: Settings,
    sources: Sequence[SourceConfig],
    *,
    config_path: str | None,
    flow_run_id: str | None,
    progress: RunProgress | None = None,
) -> RunSummary:
    """Poll, queue, fetch, extract, load. The caller holds the run lock (`warehouse.run_lock`)."""
    run_id = flow_run_id or uuid.uuid4().hex
    path, lock_s = settings.warehouse.path, settings.warehouse.lock_timeout_s
    started_at, started = datetime.now(UTC), time.monotonic()
    log = tasks.logger()

    with writer(path, lock_timeout_s=lock_s) as conn:
        ensure_schema(conn, started_at)
        if abandoned := store.abandon_stale_runs(conn, now=started_at):
            log.warning("%d earlier run(s) ended without finishing; marked abandoned", abandoned)
        store.start_run(conn, run_id, started_at=started_at, flow_run_id=flow_run_id, config_path=config_path)
        validators = store.source_validators(conn)

    counts = store.RunCounts()
    try:
        with progress or RunProgress() as bars:
            polls = tasks.poll_feeds(sources, validators, settings.http, bars)
            candidates, invalid = tasks.candidate_articles(sources, polls)
            with bars.stage("load", len(polls)):
                states = tasks.source_records(sources, polls, validators)
                polls = tasks.record_polls(run_id, states, polls, candidates, path, lock_s)
            pending = tasks.due_articles(path, lock_s, settings.pipeline.max_article_attempts)
            log.info(
                "%d feeds polled, %d entries, %d new; %d articles to fetch",
                len(polls),
                len(candidates),
                sum(p.new_entries for p in polls),
                len(pending),
            )
            stored = _fetch_extract_load(settings, pending, run_id, bars)
        counts = _counts(polls, candidates, invalid, pending, stored)
    except BaseException as exc:
        _finish(settings, run_id, started, "failed", counts, f"{type(exc).__name__}: {exc}")
        raise
    error = _all_failed(polls)
    duration = _finish(settings, run_id, started, "failed" if error else "completed", counts, error)
    return RunSummary.build(run_id, duration, counts, polls, stored, path, bars.timings, error)


def _all_failed(polls: Sequence[FeedPoll]) -> str | None:
    if not polls or not all(p.failed for p in polls):
        return None
    outcomes = sorted({p.outcome for p in polls})
    return f"every source failed ({len(polls)} of {len(polls)}: {', '.join(outcomes)})"


def _fetch_extract_load(
    settings: Settings, pending: Sequence[PendingArticle], run_id: str, bars: RunProgress
) -> list[ArticleRecord]:
    """The articles stored, in batches: batch k is fetched while batch k-1 is extracted in the pool."""
    if not pending:
        return []
    size = settings.pipeline.batch_size
    batches = [pending[i : i + size] for i in range(0, len(pending), size)]
    path, lock_s = settings.warehouse.path, settings.warehouse.lock_timeout_s
    stored: list[ArticleRecord] = []
    # spawn, not fork: the flow process runs Prefect's threads, which a fork would copy mid-flight.
    with ProcessPoolExecutor(
        settings.pipeline.extract_workers, mp_context=get_context("spawn"), initializer=pool_worker_init
    ) as pool:
        extracting: PrefectFuture[list[ArticleRecord]] | None = None
        for batch in batches:
            fetched = tasks.fetch_articles(batch, settings.http, bars)
            # Queue this batch before loading the last one, so the pool never waits on a load.
            previous, extracting = extracting, tasks.extract_articles.submit(batch, fetched, pool, bars)
            if previous is not None:
                stored += tasks.load_articles(
                    previous.result(), run_id, path, settings.pipeline, lock_s, bars
                )
        if extracting is not None:
            stored += tasks.load_articles(extracting.result(), run_id, path, settings.pipeline, lock_s, bars)
    return stored


def _counts(
    polls: Sequence[FeedPoll],
    candidates: Sequence[PendingArticle],
    invalid: int,
    pending: Sequence[PendingArticle],
    stored: Sequence[ArticleRecord],
) -> store.RunCounts:
    """`articles_skipped`: entries of this run's feeds that were not to fetch (stored already); fetched
    articles a load could not store count as failed."""
    failed = sum(1 for r in stored if store.article_status(r) != "ok")
    found = [r.detection for r in stored if r.detection]
    fetching = {p.article_id for p in pending}
    return store.RunCounts(
        sources_polled=len(polls),
        feeds_not_modified=sum(1 for p in polls if p.outcome == "not_modified"),
        feeds_failed=sum(1 for p in polls if p.failed),
        entries_seen=len(candidates) + invalid,
        articles_new=len(stored) - failed,
        articles_skipped=sum(1 for c in candidates if c.article_id not in fetching),
        articles_failed=failed + invalid + (len(pending) - len(stored)),
        tariffs_found=sum(len(d.tariffs) for d in found),
        deadlines_found=sum(len(d.deadlines) for d in found),
        events_found=sum(len(d.events) for d in found),
    )


def _finish(
    settings: Settings, run_id: str, started: float, status: str, counts: store.RunCounts, error: str | None
) -> float:
    duration = time.monotonic() - started
    with writer(settings.warehouse.path, lock_timeout_s=settings.warehouse.lock_timeout_s) as conn:
        store.finish_run(
            conn,
            run_id,
            finished_at=datetime.now(UTC),
            status=status,
            counts=counts,
            duration_s=duration,
            error=error,
        )
    return duration
