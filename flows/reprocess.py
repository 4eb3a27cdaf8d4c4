"""`tradewatch reprocess`: run detection again over stored articles, after the rules change.

Articles are read with a read-only connection, detected in a process pool, and their old detection rows
replaced in one write transaction, so a failure leaves the warehouse as it was. No Prefect: this is a
maintenance command, not a scheduled flow.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from multiprocessing import get_context

from sqlalchemy import select

from extractors.detect.detector import detect
from extractors.detect.models import Detection
from flows.config import Settings
from flows.progress import RunProgress
from warehouse import store
from warehouse.detections import ArticleDetection, DetectionCounts, replace_detections
from warehouse.engine import reader, writer
from warehouse.migrate import ensure_schema
from warehouse.run_lock import run_lock
from warehouse.schema import articles

_CHUNK = 64  # articles per pool task: detection is ~ms per article, so ship them in chunks


@dataclass(frozen=True, slots=True)
class ReprocessResult:
    run_id: str
    articles: int
    counts: DetectionCounts
    duration_s: float


def _detect_chunk(chunk: Sequence[tuple[str, date, str | None]]) -> list[Detection]:
    return [detect(text, published, language) for text, published, language in chunk]


def reprocess(
    settings: Settings, *, since: date | None = None, progress: RunProgress | None = None
) -> ReprocessResult:
    """Holds the run lock throughout: a run loading meanwhile would see its new detections replaced by
    this older read's."""
    with run_lock(settings.warehouse.path, timeout_s=settings.warehouse.run_wait_s):
        return _reprocess(settings, since, progress)


def _reprocess(settings: Settings, since: date | None, progress: RunProgress | None) -> ReprocessResult:
    path, lock_s = settings.warehouse.path, settings.warehouse.lock_timeout_s
    started, started_at = time.monotonic(), datetime.now(UTC)
    run_id = f"reprocess-{uuid.uuid4().hex[:12]}"
    a = articles.c
    query = select(a.article_id, a.text, a.published_at, a.fetched_at, a.language).where(
        a.extraction_status == "ok"
    )
    if since is not None:
        query = query.where(articles.c.published_at >= datetime.combine(since, datetime.min.time(), UTC))
    with reader(path, lock_timeout_s=lock_s) as conn:
        rows = conn.execute(query.order_by(articles.c.article_id)).all()

    items = [(r.text, (r.published_at or r.fetched_at).date(), r.language) for r in rows]
    chunks = [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]
    found: list[Detection] = []
    with progress or RunProgress() as bars, bars.stage("detect", len(items)) as advance:
        workers = settings.pipeline.extract_workers
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            for detections in pool.map(_detect_chunk, chunks):
                found += detections
                advance(len(detections))

    results = [
        ArticleDetection(row.article_id, published, detection)
        for row, (_, published, _), detection in zip(rows, items, found, strict=True)
    ]
    with writer(path, lock_timeout_s=lock_s) as conn:
        ensure_schema(conn, started_at)
        store.start_run(conn, run_id, started_at=started_at, flow_run_id=None, config_path=None)
        counts = replace_detections(conn, run_id, results)
        store.set_detection_status(conn, {r.article_id: store.detection_status(r.detection) for r in results})
        duration = time.monotonic() - started
        finished = datetime.now(UTC)
        store.finish_run(
            conn,
            run_id,
            finished_at=finished,
            status="completed",
            counts=store.RunCounts(),
            duration_s=duration,
            # Re-detection is not news: the next alert step must not take its rows for a run's reports.
            alerted_at=finished,
        )
    return ReprocessResult(run_id, len(results), counts, duration)
