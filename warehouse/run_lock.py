"""One run at a time per warehouse: an exclusive lock on a file beside the DuckDB file, held for a run's
whole length.

DuckDB's own file lock is taken per load step (the writer lets go between steps so that readers get in),
so it cannot keep two runs apart: they would interleave and store every story twice. `flock` is released
by the kernel when the holder dies, however it dies, so a killed run never leaves a stale lock, and
whoever holds the lock knows that every `running` row in `runs` is a run whose process is gone.

The lock is re-entrant within a process: the CLI takes it before it starts Prefect (so that a refused
run costs nothing) and the flow takes it again, which it needs when a deployment runs it.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from warehouse.engine import WarehouseBusy

_POLL_S = 0.2
_held: dict[Path, int] = {}  # lock file -> depth, for this process
_guard = threading.Lock()


class RunInProgress(WarehouseBusy):
    """Another run holds the warehouse and did not finish within the wait."""


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".run-lock")


@contextmanager
def run_lock(warehouse: Path, *, timeout_s: float) -> Iterator[None]:
    """Hold the warehouse's run lock for the block; wait up to `timeout_s` for another run to finish,
    then raise RunInProgress naming it."""
    path = lock_path(warehouse).resolve()
    with _guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, warehouse, timeout_s)
        # Who holds it, for the message another run prints; the lock itself is the flock, not this text.
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {started}\n".encode(), 0)
        with _guard:
            _held[path] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[path]
    finally:
        os.close(fd)  # releases the flock


def _acquire(fd: int, path: Path, warehouse: Path, timeout_s: float) -> None:
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= timeout_s:
                holder = path.read_text(encoding="utf-8", errors="replace").strip() or "another process"
                raise RunInProgress(
                    f"another tradewatch run ({holder}) is using the warehouse {warehouse}; waited "
                    f"{waited:.0f} s. Try again when it has finished, or raise warehouse.run_wait_s."
                ) from None
            time.sleep(min(_POLL_S, max(timeout_s - waited, 0.01)))
