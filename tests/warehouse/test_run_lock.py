"""The run lock with real processes: exclusive, says who holds it, and gone when its holder is killed."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from tests.lock_holder import holding_run_lock
from warehouse.run_lock import RunInProgress, lock_path, run_lock


def test_a_second_run_waits_then_gives_up_naming_the_holder(tmp_path: Path) -> None:
    warehouse = tmp_path / "tw.duckdb"
    with holding_run_lock(warehouse) as holder:
        started = time.monotonic()
        with (
            pytest.raises(RunInProgress, match=rf"pid {holder.pid} on .*waited \d+ s"),
            run_lock(warehouse, timeout_s=0.6),
        ):
            pass
        assert time.monotonic() - started >= 0.6


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    warehouse = tmp_path / "tw.duckdb"
    with holding_run_lock(warehouse) as holder:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        with run_lock(warehouse, timeout_s=2):
            assert lock_path(warehouse).exists()


def test_the_lock_is_reentrant_within_a_process_and_released_after(tmp_path: Path) -> None:
    warehouse = tmp_path / "tw.duckdb"
    with run_lock(warehouse, timeout_s=0), run_lock(warehouse, timeout_s=0):
        pass
    with run_lock(warehouse, timeout_s=0):  # released: no wait needed
        pass
