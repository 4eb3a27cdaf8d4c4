import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.lock_holder import holding
from warehouse.engine import WarehouseBusy, WarehouseMissing, reader, writer


def test_reader_waits_for_a_writer_then_answers(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with holding(path, 1.0):
        started = time.monotonic()
        with reader(path, lock_timeout_s=20) as conn:
            assert conn.execute(text("select count(*) from held")).scalar_one() == 0
        assert time.monotonic() - started >= 0.5


def test_reader_gives_up_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with holding(path, 30) as proc:
        expected = rf"held by process {proc.pid}.*lock_timeout_s"
        with pytest.raises(WarehouseBusy, match=expected), reader(path, lock_timeout_s=0.5):
            pass


def test_writer_waits_too(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with holding(path, 0.8), writer(path, lock_timeout_s=20) as conn:
        conn.execute(text("insert into held values (1)"))
    with reader(path) as conn:
        assert conn.execute(text("select count(*) from held")).scalar_one() == 1


def test_reader_on_a_missing_file_says_run_first(tmp_path: Path) -> None:
    with pytest.raises(WarehouseMissing, match="tradewatch run"), reader(tmp_path / "none.duckdb"):
        pass


def test_reader_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with writer(path) as conn:
        conn.execute(text("create table t (x integer)"))
    with reader(path) as conn, pytest.raises(Exception, match="read-only"):
        conn.execute(text("insert into t values (1)"))
