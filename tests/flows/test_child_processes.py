"""Child processes never outlive a run killed with SIGKILL: real processes, really killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_POOL = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from flows.child_processes import pool_worker_init

def pid(_):
    time.sleep(0.2)
    return os.getpid()

if __name__ == "__main__":
    pool = ProcessPoolExecutor(2, mp_context=get_context("spawn"), initializer=pool_worker_init)
    print(" ".join(str(p) for p in set(pool.map(pid, range(4)))), flush=True)
    time.sleep(120)
"""

_SERVER = """
import time
from prefect.server.api.server import SubprocessASGIServer
from flows.prefect_api import prefect_api

with prefect_api():
    print(SubprocessASGIServer._instances[None].server_process.pid, flush=True)
    time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped by init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not any(_alive(p) for p in pids):
            return True
        time.sleep(0.1)
    return False


def _kill_parent_and_watch(script: str, env: dict[str, str], folder: Path) -> list[int]:
    """Run `script` (a file, so that spawned workers can import its functions), read the child pids it
    prints, SIGKILL it, and return those pids."""
    path = folder / "parent.py"
    path.write_text(script)
    parent = subprocess.Popen(
        [sys.executable, str(path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        children = [int(p) for p in line.split()]
        assert children, f"no child pids printed (parent exit {parent.poll()})"
        assert all(_alive(p) for p in children)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        return children
    finally:
        if parent.poll() is None:
            parent.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks Linux process state in /proc")
def test_pool_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    workers = _kill_parent_and_watch(_POOL, dict(os.environ), tmp_path)
    assert _gone_within(workers, 5), "pool workers outlived their killed parent"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks Linux process state in /proc")
def test_the_temporary_prefect_server_dies_with_a_killed_run(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    }
    env.pop("PREFECT_API_URL", None)
    [server] = _kill_parent_and_watch(_SERVER, env, tmp_path)
    assert _gone_within([server], 5), "Prefect's temporary server outlived the killed run"
