import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from warehouse.engine import WarehouseBusy, WarehouseMissing, reader, writer

HOLD = """
import sys, time, duckdb
conn = duckdb.connect(sys.argv[1])
conn.execute("create table if not exists t (x integer)")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the file read-write, as a tradewatch run does while it loads."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_reader_waits_for_a_writer_then_answers(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    proc = _hold(path, 1.0)
    started = time.monotonic()
    with reader(path, lock_timeout_s=20) as conn:
        assert conn.execute(text("select count(*) from t")).scalar_one() == 0
    assert time.monotonic() - started >= 0.5
    proc.wait(timeout=10)


def test_reader_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    proc = _hold(path, 5.0)
    try:
        with (
            pytest.raises(WarehouseBusy, match=rf"held by process {proc.pid}.*lock_timeout_s"),
            reader(path, lock_timeout_s=0.5),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_writer_waits_too(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    proc = _hold(path, 0.8)
    with writer(path, lock_timeout_s=20) as conn:
        conn.execute(text("insert into t values (1)"))
    proc.wait(timeout=10)
    with reader(path) as conn:
        assert conn.execute(text("select count(*) from t")).scalar_one() == 1


def test_reader_on_a_missing_file_says_run_first(tmp_path: Path) -> None:
    with pytest.raises(WarehouseMissing, match="tradewatch run"), reader(tmp_path / "none.duckdb"):
        pass


def test_reader_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with writer(path) as conn:
        conn.execute(text("create table t (x integer)"))
    with reader(path) as conn, pytest.raises(Exception, match="read-only"):
        conn.execute(text("insert into t values (1)"))
