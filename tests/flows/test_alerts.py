"""Alerts end to end: a real webhook receiver on 127.0.0.1 (apprise `json://`), a real DuckDB file, the
real daily flow for the first/second/moved runs, a real process killed by the receiver between send and
record, and channels that fail without a secret of theirs reaching the warehouse, the logs or the
summary."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import text
from typer.testing import CliRunner

from flows.alerts import run_alerts
from flows.channels import URLS_ENV, channels, redact_url
from flows.cli import app
from flows.config import load_settings
from flows.daily import daily
from flows.local_server import Page, serve
from flows.summary import RunSummary, render, summary_markdown
from warehouse.engine import reader, writer
from warehouse.load import upsert
from warehouse.migrate import ensure_schema
from warehouse.schema import articles, deadlines
from warehouse.store import RunCounts

TODAY = date(2026, 11, 24)
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Receiver:
    url: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answers to the next POSTs; then 200
    kill_pid: int | None = None  # SIGKILLed after its next POST is recorded, before any answer

    def alerts(self) -> list[str]:
        """Every alert headline received, in order."""
        return [line for m in self.messages for line in m["message"].splitlines() if ": " in line[:12]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook that records every JSON body POSTed to it."""
    state = Receiver("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status = state.statuses.pop(0) if state.statuses else 200
            if status == 200:
                state.messages.append(json.loads(body))
            if state.kill_pid is not None:
                # The message is out; the sender dies before it can hear so, let alone record it. No
                # answer at all: a sender that somehow lived on would see an error, not a success.
                os.kill(state.kill_pid, signal.SIGKILL)
                state.kill_pid = None
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


# --- the real flow: first run, second run, a moved deadline ----------------------------------------

PAD = (
    " Exporters said the measure would weigh on shipments, and industry groups asked the government for a"
    " longer consultation with companies that depend on imported parts. Analysts expect more volatility."
)
STORIES = {
    "truce": (18, "The tariff truce between the United States and China expires on December 6, 2026."),
    "truce-again": (
        21,
        "Officials in Washington said the tariff truce with China would expire on December 6, 2026.",
    ),
    "whiskey": (22, "The European Union will impose tariffs on American whiskey from January 15, 2027."),
    "extended": (23, "The United States and China agreed to extend their tariff truce to March 6, 2027."),
}


def _page(name: str) -> Page:
    _, sentence = STORIES[name]
    html = (
        f"<html lang='en'><head><title>{name} story</title></head><body><article><h1>{name} story</h1>"
        f"<p>{sentence}{PAD}</p><p>{PAD.strip()} {PAD.strip()}</p></article></body></html>"
    )
    return Page(html.encode(), "text/html; charset=utf-8")


def _feed(names: list[str]) -> Page:
    items = "".join(
        f"<item><title>{n}</title><link>/news/{n}.html</link>"
        f"<pubDate>{STORIES[n][0]} Nov 2026 09:00:00 +0000</pubDate></item>"
        for n in names
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'
    return Page(body.encode(), "application/rss+xml")


def _config(tmp_path: Path, site: str, urls: list[str]) -> Path:
    path = tmp_path / "tradewatch.toml"
    path.write_text(
        f'[warehouse]\npath = "{tmp_path / "tw.duckdb"}"\nlock_timeout_s = 10\n'
        '[http]\ntimeout_s = 3\nretries = 0\nper_host_delay_s = 0\nallowed_private_hosts = ["127.0.0.1"]\n'
        f"[alerts]\nurls = {json.dumps(urls)}\n"
        f'[[sources]]\nname = "Wire"\nfeed_url = "{site}/rss.xml"\n'
    )
    return path


@pytest.mark.flow
def test_daily_sends_one_digest_then_nothing_then_the_move(
    prefect_harness: None, receiver: Receiver, tmp_path: Path
) -> None:
    pages = {f"/news/{n}.html": _page(n) for n in STORIES}
    pages["/rss.xml"] = _feed(["truce", "truce-again", "whiskey"])
    with serve(pages) as site:
        config = str(_config(tmp_path, site, [receiver.url]))

        first = daily(config_path=config, today=TODAY)
        assert len(receiver.messages) == 1  # one digest...
        assert receiver.messages[0]["title"] == "tradewatch: 2 deadline alerts"
        assert receiver.alerts() == [  # ...with two alerts, soonest first
            "NEW: CHN/USA truce deadline, 2026-12-06, in 12 days",
            "NEW: EUU/USA tariff on whisky deadline, 2027-01-15, in 52 days",
        ]
        body = receiver.messages[0]["message"]
        assert "Reported by 1 source (2 articles)." in body  # two articles of one source: the truce
        assert f"truce-again story: {site}/news/truce-again.html" in body
        assert [(x.kind, x.status) for x in first.alerts.created] == [("new", "sent"), ("new", "sent")]

        second = daily(config_path=config, today=TODAY)
        assert second.alerts.created == () and len(receiver.messages) == 1

        pages["/rss.xml"] = _feed(["truce", "truce-again", "whiskey", "extended"])
        daily(config_path=config, today=TODAY)
    assert len(receiver.messages) == 2
    assert receiver.alerts()[2:] == [
        "MOVED: CHN/USA truce deadline, 2027-03-06 (moved from 2026-12-06), in 102 days"
    ]
    with reader(tmp_path / "tw.duckdb") as conn:
        rows = conn.execute(text("select kind, status, attempts, channel from alerts order by kind")).all()
    name = redact_url(receiver.url)  # json://127.0.0.1:<port>#<fingerprint>
    assert [tuple(r) for r in rows] == [
        ("moved", "sent", 1, name),
        ("new", "sent", 1, name),
        ("new", "sent", 1, name),
    ]


# --- the alert step on a seeded warehouse: failures, retries, a crash -------------------------------


def _seed(tmp_path: Path, urls: list[str]) -> Path:
    db = tmp_path / "tw.duckdb"
    now = datetime(2026, 11, 24, 6, tzinfo=UTC)
    with writer(db) as conn:
        ensure_schema(conn, now)
        upsert(
            conn,
            articles,
            [
                {
                    "article_id": "a1",
                    "source_id": "wire",
                    "url": "http://news.test/a1",
                    "canonical_url": "http://news.test/a1",
                    "title": "Truce clock",
                    "published_at": now - timedelta(days=1),
                    "fetched_at": now,
                    "word_count": 100,
                    "extraction_status": "ok",
                    "attempts": 1,
                    "run_id": "r1",
                }
            ],
        )
        upsert(
            conn,
            deadlines,
            [
                {
                    "deadline_id": "a1:0",
                    "article_id": "a1",
                    "date_start": date(2026, 12, 6),
                    "date_end": date(2026, 12, 6),
                    "description": "expires",
                    "sentence": "The tariff truce between the United States and China expires on December 6.",
                    "run_id": "r1",
                }
            ],
        )
    config = tmp_path / "tw.toml"
    config.write_text(f'[warehouse]\npath = "{db}"\n[alerts]\nurls = {json.dumps(urls)}\n')
    return config


def _statuses(config: Path) -> list[tuple[str, int]]:
    with reader(load_settings(config).warehouse.path) as conn:
        return [tuple(r) for r in conn.execute(text("select status, attempts from alerts")).all()]  # type: ignore[misc]


def test_a_failed_send_is_retried_on_the_next_run_once(receiver: Receiver, tmp_path: Path) -> None:
    settings = load_settings(_seed(tmp_path, [receiver.url]))
    receiver.statuses = [500]
    first = run_alerts(settings, "r1", TODAY, environ={})
    assert (first.sent, first.failed, len(receiver.messages)) == (0, 1, 0)
    assert [x.status for x in first.created] == ["failed"]
    assert _statuses(tmp_path / "tw.toml") == [("failed", 1)]

    second = run_alerts(settings, "r2", TODAY, environ={})
    assert (second.created, second.sent) == ((), 1)  # nothing new: the old alert, retried
    third = run_alerts(settings, "r3", TODAY, environ={})
    assert third.sent == 0
    assert receiver.alerts() == ["NEW: CHN/USA truce deadline, 2026-12-06, in 12 days"]
    assert _statuses(tmp_path / "tw.toml") == [("sent", 2)]


def test_without_a_channel_alerts_are_recorded_and_printed(tmp_path: Path) -> None:
    settings = load_settings(_seed(tmp_path, []))
    report = run_alerts(settings, "r1", TODAY, environ={})
    assert [(x.headline, x.channel, x.status) for x in report.created] == [
        ("NEW: CHN/USA truce deadline, 2026-12-06, in 12 days", "", "printed")
    ]
    assert run_alerts(settings, "r2", TODAY, environ={}).created == ()


# The alert step in its own process, started only once the test says "go" on stdin, so the receiver
# knows the PID to kill before the first POST can arrive.
_STEP = (
    "import sys; from datetime import date; from pathlib import Path; from flows.alerts import run_alerts; "
    "from flows.config import load_settings; sys.stdin.readline(); "
    "run_alerts(load_settings(Path(sys.argv[1])), sys.argv[2], date.fromisoformat(sys.argv[3]), environ={})"
)


def _killed_step(config: Path, run_id: str, receiver: Receiver) -> None:
    """Run the alert step in a subprocess that the receiver SIGKILLs on its POST."""
    env = {k: v for k, v in os.environ.items() if k != URLS_ENV}
    with subprocess.Popen(
        [sys.executable, "-c", _STEP, str(config), run_id, TODAY.isoformat()],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        receiver.kill_pid = process.pid
        _, stderr = process.communicate("go\n", timeout=120)
    assert process.returncode == -signal.SIGKILL, stderr


def test_a_crash_between_send_and_record_costs_at_most_one_duplicate(
    receiver: Receiver, tmp_path: Path
) -> None:
    config = _seed(tmp_path, [receiver.url])
    _killed_step(config, "r1", receiver)
    assert len(receiver.messages) == 1  # sent...
    assert _statuses(config) == [("pending", 0)]  # ...but not recorded

    # The next runs (in this process: only the crash needs one of its own).
    settings = load_settings(config)
    assert run_alerts(settings, "r2", TODAY, environ={}).sent == 1
    assert run_alerts(settings, "r3", TODAY, environ={}).sent == 0
    # At least once, at most twice: the pending row was sent again, then never more.
    assert receiver.alerts() == ["NEW: CHN/USA truce deadline, 2026-12-06, in 12 days"] * 2
    assert _statuses(config) == [("sent", 1)]


# --- secrets of failing channels, end to end --------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_no_secret_of_a_failing_channel_reaches_the_warehouse_logs_or_summary(
    receiver: Receiver, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    # Only 127.0.0.1 or URLs apprise rejects before any network: refused, refused by the service, invalid.
    urls = [
        f"json://user:hunter2pw@127.0.0.1:{port}/hook/s3cr3tpath?token=tok3nvalue&:X-Api-Key=apikey12345",
        f"jsons://bob:p%40ss%2Fword@127.0.0.1:{port}/x?key=k3yv4lue",
        f"xml://u:p2@127.0.0.1:{port}/xmlhook",
        f"ntfy://ntfyuser:ntfypass99@127.0.0.1:{port}/mysecrettopic",
        f"gotify://127.0.0.1:{port}/gotifytoken123",
        f"rocket://rcuser:rcpass99@127.0.0.1:{port}/#opsroom",
        f"mailto://mailuser:mailpass77@127.0.0.1:{port}?smtp=127.0.0.1&to=boss@example.com",
        f"{receiver.url}/pathsecret999?token=querysecret888",  # answers 500
        "slack://tok!na/tokenb9/tokenc9",  # apprise logs the bad token itself
        "msteams://team/tokenA7/tokenB7/tokenC7",  # ... and the whole URL it cannot parse
        "tgram://notatoken/12345678",
    ]
    secrets = [
        "hunter2pw", "s3cr3tpath", "tok3nvalue", "apikey12345", "p%40ss%2Fword", "p@ss/word", "k3yv4lue",
        ":p2@", "xmlhook", "ntfyuser", "ntfypass99", "mysecrettopic", "gotifytoken123", "rcuser", "rcpass99",
        "opsroom", "mailuser", "mailpass77", "boss@example.com", "pathsecret999", "querysecret888", "tok!na",
        "tokenb9", "tokenc9", "tokenA7", "tokenB7", "tokenC7", "notatoken", "12345678",
    ]  # fmt: skip
    receiver.statuses = [500]
    caplog.set_level(logging.DEBUG)
    for name in ("apprise", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    config = _seed(tmp_path, urls)

    report = run_alerts(load_settings(config), "r1", TODAY, environ={})

    assert (report.sent, report.failed) == (0, len(urls))
    assert [x.channel for x in report.created] == list(channels(urls))
    with reader(tmp_path / "tw.duckdb") as conn:
        rows = conn.execute(text("select * from alerts")).all()
        stored = {r[0] for r in conn.execute(text("select channel from alerts")).all()}
    assert stored == {redact_url(u) for u in urls}
    summary = RunSummary("r1", 1.0, RunCounts(), (), (), str(tmp_path), {}, alerts=report)
    console = Console(file=io.StringIO(), width=400)
    render(summary, console)
    listed = CliRunner().invoke(app, ["alerts", "-c", str(config)], terminal_width=400)
    assert listed.exit_code == 0, listed.output
    printed = capfd.readouterr()
    places = {
        "warehouse": " ".join(str(v) for row in rows for v in row),
        "logs": caplog.text,
        "summary": summary_markdown(summary) + console.file.getvalue(),  # type: ignore[attr-defined]
        "alerts command": listed.output,
        "stdout/stderr": printed.out + printed.err,
    }
    assert "A Connection error occurred" in places["warehouse"]  # the errors are kept, scrubbed
    leaks = [(where, s) for where, found in places.items() for s in secrets if s.lower() in found.lower()]
    assert leaks == []


# --- the command ----------------------------------------------------------------------------------


def test_alerts_command_lists_alerts_and_tests_channels_without_leaking_secrets(
    receiver: Receiver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = "json://bob:s3cretpass@127.0.0.1:9/hook"
    config = _seed(tmp_path, [receiver.url, dead])
    run_alerts(load_settings(config), "r1", TODAY, environ={})
    runner = CliRunner()

    listed = runner.invoke(app, ["alerts", "-c", str(config)])
    assert listed.exit_code == 0, listed.output
    assert "Recent alerts" in listed.output and "sent" in listed.output and "failed" in listed.output
    assert "s3cretpass" not in listed.output

    tested = runner.invoke(app, ["alerts", "--test", "-c", str(config)])
    assert tested.exit_code == 1
    assert f"ok  {redact_url(receiver.url)}" in tested.output
    assert f"failed  {redact_url(dead)}" in tested.output and "s3cretpass" not in tested.output
    assert receiver.messages[-1]["title"] == "tradewatch: test alert"

    monkeypatch.setenv(URLS_ENV, receiver.url)  # replaces the configured list: all reachable
    assert runner.invoke(app, ["alerts", "--test", "-c", str(config)]).exit_code == 0
    with reader(tmp_path / "tw.duckdb") as conn:
        stored = " ".join(str(v) for row in conn.execute(text("select * from alerts")).all() for v in row)
    assert "s3cretpass" not in stored and redact_url(dead) in stored
