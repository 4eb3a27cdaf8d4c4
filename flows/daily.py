"""The daily flow: poll feeds -> fetch new articles -> extract and detect -> load, in batches.

Batches are pipelined: while the process pool extracts and detects batch k, the next batch is fetched.
Each batch is loaded as soon as it is done, so a crash loses at most the batches in flight, and the
writer holds the DuckDB file only for one short load at a time.
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

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.futures import PrefectFuture
from prefect.runtime import flow_run

from flows import tasks
from flows.alerts import alert_deadlines
from flows.config import Settings, SourceConfig, load_settings
from flows.progress import RunProgress
from flows.sample_news import serve_sample
from flows.summary import RunSummary, summary_markdown
from warehouse import store
from warehouse.engine import writer
from warehouse.migrate import ensure_schema
from warehouse.records import ArticleRecord, FeedPoll, PendingArticle


@flow(name="daily", description="Poll trade-policy feeds, fetch and extract new articles, load DuckDB.")
def daily(config_path: str | None = None, today: date | None = None) -> RunSummary:
    """`today` pins the sample corpus's dates (tests); real runs leave it unset."""
    settings = load_settings(Path(config_path) if config_path else None)
    day = today or datetime.now(UTC).date()
    with _sources(settings, day) as (settings, sources):
        summary = run_pipeline(settings, sources, config_path=config_path, flow_run_id=flow_run.id)
    # After the load, never before: an alert step that fails is logged and leaves the load standing.
    summary = replace(summary, alerts=alert_deadlines(settings, summary.run_id, day))
    create_markdown_artifact(
        key="daily-run-summary", markdown=summary_markdown(summary), description="tradewatch daily run"
    )
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
    run_id = flow_run_id or uuid.uuid4().hex
    path, lock_s = settings.warehouse.path, settings.warehouse.lock_timeout_s
    started_at, started = datetime.now(UTC), time.monotonic()
    log = tasks.logger()

    with writer(path, lock_timeout_s=lock_s) as conn:
        ensure_schema(conn, started_at)
        store.start_run(conn, run_id, started_at=started_at, flow_run_id=flow_run_id, config_path=config_path)
        validators = store.source_validators(conn)

    counts = store.RunCounts()
    try:
        with progress or RunProgress() as bars:
            polls = tasks.poll_feeds(sources, validators, settings.http, bars)
            candidates, invalid = tasks.candidate_articles(sources, polls)
            pending = tasks.select_new(candidates, path, lock_s, settings.pipeline.max_article_attempts)
            polls = _count_new(polls, pending)
            with bars.stage("load", len(polls)), writer(path, lock_timeout_s=lock_s) as conn:
                store.save_sources(conn, run_id, tasks.source_records(sources, polls, validators))
                store.save_feed_polls(conn, run_id, polls)
            log.info(
                "%d feeds polled, %d entries, %d new articles to fetch",
                len(polls),
                len(candidates),
                len(pending),
            )
            records = _fetch_extract_load(settings, pending, run_id, bars)
        counts = _counts(polls, candidates, invalid, records)
    except BaseException as exc:
        _finish(settings, run_id, started, "failed", counts, f"{type(exc).__name__}: {exc}")
        raise
    duration = _finish(settings, run_id, started, "completed", counts, None)
    return RunSummary.build(run_id, duration, counts, polls, records, path, bars.timings)


def _fetch_extract_load(
    settings: Settings, pending: Sequence[PendingArticle], run_id: str, bars: RunProgress
) -> list[ArticleRecord]:
    if not pending:
        return []
    size = settings.pipeline.batch_size
    batches = [pending[i : i + size] for i in range(0, len(pending), size)]
    path, lock_s = settings.warehouse.path, settings.warehouse.lock_timeout_s
    records: list[ArticleRecord] = []
    # spawn, not fork: the flow process runs Prefect's threads, which a fork would copy mid-flight.
    with ProcessPoolExecutor(settings.pipeline.extract_workers, mp_context=get_context("spawn")) as pool:
        extracting: PrefectFuture[list[ArticleRecord]] | None = None
        for batch in batches:
            fetched = tasks.fetch_articles(batch, settings.http, bars)
            # Queue this batch before loading the last one, so the pool never waits on a load.
            previous, extracting = extracting, tasks.extract_articles.submit(batch, fetched, pool, bars)
            if previous is not None:
                records += _load(previous.result(), run_id, path, lock_s, bars)
        if extracting is not None:
            records += _load(extracting.result(), run_id, path, lock_s, bars)
    return records


def _load(
    records: list[ArticleRecord], run_id: str, path: Path, lock_s: float, bars: RunProgress
) -> list[ArticleRecord]:
    tasks.load_articles(records, run_id, path, lock_s, bars)
    return records


def _count_new(polls: Sequence[FeedPoll], pending: Sequence[PendingArticle]) -> list[FeedPoll]:
    per_source: dict[str, int] = {}
    for item in pending:
        per_source[item.source_id] = per_source.get(item.source_id, 0) + 1
    return [replace(p, new_entries=per_source.get(p.source_id, 0)) for p in polls]


def _counts(
    polls: Sequence[FeedPoll],
    candidates: Sequence[PendingArticle],
    invalid: int,
    records: Sequence[ArticleRecord],
) -> store.RunCounts:
    failed = sum(1 for r in records if store.article_status(r) != "ok")
    found = [r.detection for r in records if r.detection]
    return store.RunCounts(
        sources_polled=len(polls),
        feeds_not_modified=sum(1 for p in polls if p.fetch.outcome.value == "not_modified"),
        feeds_failed=sum(1 for p in polls if p.feed is None and p.fetch.outcome.value != "not_modified"),
        entries_seen=len(candidates) + invalid,
        articles_new=len(records) - failed,
        articles_skipped=len(candidates) - len(records),
        articles_failed=failed + invalid,
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
