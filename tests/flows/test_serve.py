"""`tradewatch serve` as it is used: a real `prefect server start`, a real `tradewatch serve` process, a
deployed run triggered through the API and run by the served runner on a local news site.

Both Prefect processes are subprocesses with their own PREFECT_HOME, so this module leaves the session's
Prefect test harness alone; the test process talks to the server only inside `temporary_settings`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from flows.local_server import Page, serve
from tests.flows.news_pages import ARTICLE
from warehouse.engine import reader

pytestmark = pytest.mark.flow

DEPLOYMENT = "daily/tradewatch-daily"
# A cold `prefect server start` takes 10-20 s on two cores; a loaded CI machine, more.
SERVER_START_S = 120.0
RUN_TIMEOUT_S = 180.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prefect_env(home: Path, api_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        # The served runner looks for due runs every 10 s by default; 1 s keeps the test short.
        "PREFECT_RUNNER_POLL_FREQUENCY": "1",
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A subprocess with its output in `log` (a pipe nobody reads would fill and block it), always
    stopped on exit: SIGTERM, then SIGKILL if it has not ended after 20 s."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _wait_for(what: str, check: Any, timeout_s: float, proc: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what}: process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if (result := check()) is not None:
            return result
        time.sleep(0.5)
    pytest.fail(f"{what}: not after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def _talking_to(api_url: str) -> Iterator[Any]:
    """A Prefect client for `api_url`, with the settings restored afterwards for the other tests."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        yield client


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prefect server start` on a free port; yields its API URL once /api/health answers."""
    root = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    args = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    log = root / "server.log"
    with _process(args, _prefect_env(root / "home", None), log, root) as proc:

        def healthy() -> bool | None:
            try:
                return httpx.get(f"{api_url}/health", timeout=2).is_success or None
            except httpx.HTTPError:
                return None

        _wait_for("prefect server start", healthy, SERVER_START_S, proc, log)
        yield api_url


def _rss(links: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>{link}</link>"
        f"<pubDate>Mon, 23 Nov 2026 09:00:00 +0000</pubDate></item>"
        for i, link in enumerate(links)
    )
    channel = f"<channel><title>T</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'.encode()


@dataclass(frozen=True)
class Served:
    api_url: str
    warehouse: Path
    log: Path


@pytest.fixture(scope="module")
def served(prefect_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`tradewatch serve` on a config whose one feed (two articles) is on a local HTTP server; yields once
    the deployment is registered."""
    root = tmp_path_factory.mktemp("serve")
    html = "text/html; charset=utf-8"
    pages = {
        f"/news/{i}.html": Page(
            ARTICLE.format(title=f"Steel tariff story {i}", body=f"Story {i}: a 25% duty on steel.").encode(),
            html,
        )
        for i in range(2)
    }
    pages["/feed.xml"] = Page(_rss(["/news/0.html", "/news/1.html"]), "application/rss+xml")
    warehouse = root / "tw.duckdb"
    with serve(pages) as site:
        config = root / "tradewatch.toml"
        config.write_text(
            f'[warehouse]\npath = "{warehouse}"\nlock_timeout_s = 10\n'
            "[http]\ntimeout_s = 3\nretries = 1\nbackoff_s = 0.05\nper_host_delay_s = 0\n"
            'allowed_private_hosts = ["127.0.0.1"]\n'
            "[pipeline]\nextract_workers = 1\n"
            f'[[sources]]\nname = "Local Wire"\nfeed_url = "{site}/feed.xml"\n'
        )
        args = [sys.executable, "-m", "flows.cli", "serve", "--config", str(config)]
        log = root / "serve.log"
        # Started outside the repository: serving must not depend on the working directory.
        with _process(args, _prefect_env(root / "home", prefect_server), log, root) as proc:

            def registered() -> bool | None:
                from prefect.exceptions import ObjectNotFound

                with _talking_to(prefect_server) as client:
                    try:
                        client.read_deployment_by_name(DEPLOYMENT)
                    except ObjectNotFound:
                        return None
                return True

            _wait_for("tradewatch serve registering the deployment", registered, 60, proc, log)
            yield Served(prefect_server, warehouse, log)


def test_a_deployed_run_completes_with_its_summary_and_loads_the_warehouse(served: Served) -> None:
    """The path the audit found broken: the served runner runs the flow in a process of its own."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey
    from prefect.deployments import run_deployment

    with _talking_to(served.api_url) as client:
        # `today` as the API carries it, a JSON string: the run must turn it back into a date.
        run = run_deployment(
            DEPLOYMENT,
            parameters={"today": "2026-11-24"},
            timeout=RUN_TIMEOUT_S,
            poll_interval=1,
            as_subflow=False,
        )
        assert run.state is not None and run.state.is_completed(), (
            f"{run.state}\n{served.log.read_text()[-3000:]}"
        )
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(
                key=ArtifactFilterKey(any_=["daily-run-summary"]),
                flow_run_id=ArtifactFilterFlowRunId(any_=[run.id]),
            )
        )
    assert len(artifacts) == 1
    summary = str(artifacts[0].data)
    assert "1 sources polled (0 unchanged, 0 failed)" in summary
    assert "articles: 2 new, 0 skipped, 0 failed" in summary
    with reader(served.warehouse) as conn:
        ok = conn.execute(text("select count(*) from articles where extraction_status = 'ok'")).scalar_one()
        runs = conn.execute(text("select run_id, status from runs")).all()
    assert ok == 2
    assert runs == [(str(run.id), "completed")]


def test_the_deployment_allows_one_run_at_a_time_and_describes_its_parameters(served: Served) -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    with _talking_to(served.api_url) as client:
        deployment = client.read_deployment_by_name(DEPLOYMENT)
    assert deployment.global_concurrency_limit is not None
    assert deployment.global_concurrency_limit.limit == 1
    assert deployment.concurrency_options is not None
    assert deployment.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    properties = deployment.parameter_openapi_schema["properties"]
    assert properties["today"]["anyOf"] == [{"format": "date", "type": "string"}, {"type": "null"}]
    assert properties["config_path"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    schedules = [(getattr(s.schedule, "cron", None), s.schedule.timezone) for s in deployment.schedules]
    assert schedules == [("0 6 * * *", "UTC")]


def test_serve_and_run_with_no_server_listening_say_so_in_one_line_and_exit_1(tmp_path: Path) -> None:
    """PREFECT_API_URL at a port bound, then closed: nothing listens there. Both commands at once, to
    spare an interpreter start."""
    config = tmp_path / "tradewatch.toml"
    config.write_text(f'[warehouse]\npath = "{tmp_path / "tw.duckdb"}"\n')
    api_url = f"http://127.0.0.1:{_free_port()}/api"
    started = {
        command: subprocess.Popen(
            [sys.executable, "-m", "flows.cli", command, "--config", str(config)],
            env=_prefect_env(tmp_path / f"home-{command}", api_url),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in ("serve", "run")
    }
    done = {command: (p.communicate(timeout=120), p.returncode) for command, p in started.items()}
    (serve_out, serve_err), serve_code = done["serve"]
    assert serve_code == 1 and serve_out == ""
    lines = serve_err.strip().splitlines()
    assert len(lines) == 1, serve_err
    assert api_url in lines[0] and "prefect server start" in lines[0]
    (_, run_err), run_code = done["run"]
    assert run_code == 1
    assert f"error: no Prefect server answers at {api_url}" in run_err
    assert "Traceback" not in serve_err + run_err


def test_a_cron_the_config_takes_but_prefect_refuses_is_one_line_and_exit_2(
    prefect_server: str, tmp_path: Path
) -> None:
    """cronsim (the config's check) reads "5L" as the last Friday; Prefect's croniter refuses it. In
    process, to spare a start-up: the exit must still be typer's, not an escaped exception."""
    from typer.testing import CliRunner

    from flows.cli import app

    config = tmp_path / "tradewatch.toml"
    config.write_text(f'[warehouse]\npath = "{tmp_path / "tw.duckdb"}"\n[schedule]\ncron = "0 6 * * 5L"\n')
    with _talking_to(prefect_server):
        result = CliRunner().invoke(app, ["serve", "--config", str(config)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "config error" in lines[0] and "0 6 * * 5L" in lines[0]
