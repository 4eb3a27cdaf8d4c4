"""Connections to the DuckDB warehouse: one short-lived writer, read-only readers.

DuckDB lets one process hold a file read-write, and that blocks every other process, readers too. So a
writer opens the file only for one load step and closes it (NullPool: nothing stays open between steps),
and both writers and readers wait for the lock up to a timeout, then fail with `WarehouseBusy`, whose
message says who holds the file instead of a lock traceback.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

_LOCK_POLL_S = 0.2
_PID = re.compile(r"PID (\d+)")


class WarehouseError(Exception):
    """A warehouse problem a user can act on; the message says what to do."""


class WarehouseBusy(WarehouseError):
    """Another process holds the DuckDB file and did not let go within the lock timeout."""


class WarehouseMissing(WarehouseError):
    """A reader asked for a warehouse file that no run has created yet."""


def _engine(path: Path, *, read_only: bool) -> Engine:
    return create_engine(
        f"duckdb:///{path}",
        poolclass=NullPool,
        connect_args={"read_only": read_only},
    )


def _is_lock_error(exc: BaseException) -> bool:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return isinstance(orig, duckdb.IOException) and "lock" in str(orig).lower()


def _busy(path: Path, exc: BaseException, waited_s: float) -> WarehouseBusy:
    pid = _PID.search(str(exc))
    holder = f"process {pid.group(1)}" if pid else "another process"
    return WarehouseBusy(
        f"the warehouse {path} is held by {holder} (a tradewatch run loading, or an open read-write "
        f"session); waited {waited_s:.1f} s. Try again when it finishes, or raise "
        "warehouse.lock_timeout_s."
    )


def _connect(path: Path, *, read_only: bool, lock_timeout_s: float) -> tuple[Engine, Connection]:
    engine = _engine(path, read_only=read_only)
    started = time.monotonic()
    while True:
        try:
            return engine, engine.connect()
        except DBAPIError as exc:
            waited = time.monotonic() - started
            if not _is_lock_error(exc):
                engine.dispose()
                raise WarehouseError(f"cannot open the warehouse {path}: {exc.orig}") from exc
            if waited >= lock_timeout_s:
                engine.dispose()
                raise _busy(path, exc, waited) from None
            time.sleep(min(_LOCK_POLL_S, max(lock_timeout_s - waited, 0.01)))


@contextmanager
def writer(path: Path, *, lock_timeout_s: float = 30.0) -> Iterator[Connection]:
    """One transaction on the warehouse, committed on success, rolled back on error; the file is
    released when the block ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine, conn = _connect(path, read_only=False, lock_timeout_s=lock_timeout_s)
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()
        engine.dispose()


@contextmanager
def reader(path: Path, *, lock_timeout_s: float = 30.0) -> Iterator[Connection]:
    """A read-only connection; waits while a writer holds the file."""
    if not path.exists():
        raise WarehouseMissing(f"no warehouse at {path} yet: run `tradewatch run` first")
    engine, conn = _connect(path, read_only=True, lock_timeout_s=lock_timeout_s)
    try:
        yield conn
    finally:
        conn.close()
        engine.dispose()
