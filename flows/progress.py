"""Progress bars for long steps, shown only when a person is watching a terminal.

One live display per run: stages that overlap (fetching the next batch while the last one is extracted)
draw their bars in it side by side; rich allows only one live display at a time.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

Advance = Callable[[int], None]


class RunProgress(AbstractContextManager["RunProgress"]):
    """Bars on an interactive stderr; nothing at all otherwise (logs say what happened)."""

    def __init__(self, enabled: bool | None = None) -> None:
        self._enabled = sys.stderr.isatty() if enabled is None else enabled
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
    def stage(self, description: str, total: int) -> Iterator[Advance]:
        task_id = self._progress.add_task(description, total=total)
        try:
            yield lambda n: self._progress.advance(task_id, n)
        finally:
            self._progress.remove_task(task_id)


QUIET = RunProgress(enabled=False)
