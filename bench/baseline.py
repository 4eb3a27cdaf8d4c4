"""The ceiling: the same pages through the plainest loop that does the same work as the flow.

Two processes (the flow's extract_workers), each fetching one page at a time with a sync httpx client and
extracting it with trafilatura; no feeds, no validation, no storage, no orchestration. What the flow
reaches of this rate is what its architecture costs or saves.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context

import httpx
from trafilatura import bare_extraction

WORKERS = 2
CHUNKSIZE = 4  # pages per round trip to a worker: less IPC, still an even split at the end

_client: httpx.Client | None = None  # one per worker process, made by _start_worker


@dataclass(frozen=True, slots=True)
class BaselineResult:
    workers: int
    pages: int
    extracted: int  # pages with a non-empty body text
    failed_fetches: int
    bytes_fetched: int
    seconds: float  # from starting the pool to the last page extracted

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def run_baseline(urls: Sequence[str], workers: int = WORKERS) -> BaselineResult:
    """Fetch and extract every URL; the time includes starting the pool, as the flow's does."""
    started = time.monotonic()
    # spawn as the flow does: equal start-up costs, and the caller's threads are not forked
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_start_worker) as pool:
        results = list(pool.map(_fetch_extract, urls, chunksize=CHUNKSIZE))
    seconds = time.monotonic() - started
    return BaselineResult(
        workers=workers,
        pages=len(results),
        extracted=sum(1 for ok, _ in results if ok),
        failed_fetches=sum(1 for _, size in results if size < 0),
        bytes_fetched=sum(max(size, 0) for _, size in results),
        seconds=seconds,
    )


def _start_worker() -> None:
    global _client
    _client = httpx.Client(timeout=30.0, headers={"User-Agent": "tradewatch-bench/0.1"})


def _fetch_extract(url: str) -> tuple[bool, int]:
    """(body text found, bytes fetched or -1 if the fetch failed)."""
    if _client is None:
        raise RuntimeError("worker used without _start_worker")
    try:
        response = _client.get(url)
        response.raise_for_status()
    except httpx.HTTPError:
        return False, -1
    document = bare_extraction(response.text, url=url, with_metadata=True)
    text = getattr(document, "text", None)
    return bool(text), len(response.content)
