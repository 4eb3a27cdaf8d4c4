"""Prefect's API for a `tradewatch run`: the configured server when PREFECT_API_URL is set, else a
temporary one that dies with this process.

Prefect starts its temporary (ephemeral) server as a child process and stops it at exit; a run killed
with SIGKILL never reaches that, and the server lives on as an orphan. The server started here is
Prefect's own (`SubprocessASGIServer`, same command and settings), started with the kernel's
parent-death signal armed (`flows.child_processes`), from the main thread, before the flow needs it.
It is registered where Prefect looks for its temporary server (the `None` port key, as Prefect's own
test harness does), so every Prefect component in the run talks to this one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED, get_current_settings

from flows.child_processes import kill_me_with_parent

# Prefect's own command for its temporary server (prefect/server/api/server.py), but for two arguments.
_UVICORN = ("-m", "uvicorn", "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
            "--log-level", "error", "--lifespan", "on")  # fmt: skip


class _ServerThatDiesWithUs(SubprocessASGIServer):
    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        return subprocess.Popen(
            args=[
                sys.executable,
                *_UVICORN,
                "--app-dir",
                str(prefect.__module_path__.parent),
                "--port",
                str(self.port),
            ],
            env={
                **os.environ,
                "PREFECT_UI_ENABLED": "0",
                "PREFECT__SERVER_EPHEMERAL": "1",
                "PREFECT__SERVER_FINAL": "1",
                **get_current_settings().to_environment_variables(exclude_unset=True),
            },
            preexec_fn=kill_me_with_parent,
        )


@contextmanager
def prefect_api() -> Iterator[None]:
    """For the block, a Prefect API the flow can use. Call from the main thread: the parent-death signal
    follows the thread that started the child."""
    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        yield
        return
    # Stopped at exit by the hook `start` registers, after Prefect's log and event workers have drained
    # into it (stopping it here first would leave them retrying against a closed port).
    _ServerThatDiesWithUs().start()
    yield
