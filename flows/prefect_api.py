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
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_CLIENT_MAX_RETRIES,
    PREFECT_SERVER_EPHEMERAL_ENABLED,
    get_current_settings,
    temporary_settings,
)

from flows.child_processes import kill_me_with_parent

# Prefect's own command for its temporary server (prefect/server/api/server.py), but for two arguments.
_UVICORN = ("-m", "uvicorn", "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
            "--log-level", "error", "--lifespan", "on")  # fmt: skip


class PrefectUnavailable(Exception):
    """No Prefect API could be had for the run; the message says what to do."""


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


def require_server(api_url: str) -> None:
    """Ask the server's /health first, so that an unreachable server is one line, not an httpx traceback."""
    from prefect.client.orchestration import get_client

    # One try: the client's own retries (with backoff) would keep a user waiting on a closed port.
    with temporary_settings({PREFECT_CLIENT_MAX_RETRIES: 0}), get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        first = (str(problem).strip().splitlines() or [type(problem).__name__])[0]
        raise PrefectUnavailable(
            f"no Prefect server answers at {api_url} ({first}). Start one with `prefect server start`, "
            "or point PREFECT_API_URL at a running server's /api."
        )


@contextmanager
def prefect_api() -> Iterator[None]:
    """For the block, a Prefect API the flow can use. Call from the main thread: the parent-death signal
    follows the thread that started the child."""
    if api_url := PREFECT_API_URL.value():
        require_server(api_url)
        yield
        return
    if not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        raise PrefectUnavailable("no Prefect API: set PREFECT_API_URL, or enable Prefect's temporary server")
    # Stopped at exit by the hook `start` registers, after Prefect's log and event workers have drained
    # into it (stopping it here first would leave them retrying against a closed port).
    try:
        _ServerThatDiesWithUs().start()
    except RuntimeError as exc:  # Prefect's "Timed out while attempting to connect to ephemeral ..."
        raise PrefectUnavailable(
            f"Prefect's temporary server did not start ({str(exc)[:300]}); raise "
            "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or run a server (`prefect server start`) "
            "and set PREFECT_API_URL"
        ) from None
    yield
