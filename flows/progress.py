"""Each run's stages, timed, with progress bars when a person is watching a terminal.

One live display per run: stages that overlap (fetching the next batch while the last one is extracted)
draw their bars in it side by side; rich allows only one live display at a time. The time each stage was
open is summed per stage name, for the run summary and the benchmark.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Advance = Callable[[int], None]


STAGES = {
    "poll": "Polling feeds",
    "fetch": "Fetching articles",
    "extract": "Extracting articles",
    "detect": "Detecting",
    "load": "Loading",
}


class RunProgress(AbstractContextManager["RunProgress"]):
    """Bars on an interactive stderr, none otherwise (logs say what happened); timings either way."""

    def __init__(self, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self.timings: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self._progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
            disable=not self._enabled,
        )

    def __enter__(self) -> RunProgress:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    @contextmanager
    def stage(self, name: str, total: int) -> Iterator[Advance]:
        """`name` is one of STAGES; yields `advance(n)` for the bar."""
        task_id = self._progress.add_task(STAGES[name], total=total)
        started = time.monotonic()
        try:
            yield lambda n: self._progress.advance(task_id, n)
        finally:
            self._progress.remove_task(task_id)
            with self._lock:
                self.timings[name] += time.monotonic() - started
