"""Another process holding a DuckDB file read-write, as a loading tradewatch run does."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLD = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
conn.execute("create table if not exists held (x integer)")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def holding(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Yield once the other process holds `path`; it lets go after `seconds`, or when the block ends."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None and seconds > 5:
            proc.kill()
        proc.wait(timeout=seconds + 30)


_HOLD_RUN = """
import sys, time
from pathlib import Path
from warehouse.run_lock import run_lock
with run_lock(Path(sys.argv[1]), timeout_s=5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@contextmanager
def holding_run_lock(warehouse: Path, seconds: float = 60) -> Iterator[subprocess.Popen[str]]:
    """Yield once another process holds `warehouse`'s run lock, as a tradewatch run does; killed after."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD_RUN, str(warehouse), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()
