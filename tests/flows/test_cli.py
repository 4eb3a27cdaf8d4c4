"""The `tradewatch` command, run as a user runs it: a real process for lock contention, CliRunner else."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from flows.cli import app
from tests.lock_holder import holding
from warehouse.engine import writer
from warehouse.migrate import ensure_schema

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    db = tmp_path / "tw.duckdb"
    with writer(db) as conn:
        ensure_schema(conn, datetime(2026, 11, 24, tzinfo=UTC))
        conn.execute(text("insert into runs (run_id, started_at, status) values ('r1', now(), 'completed')"))
    path = tmp_path / "tw.toml"
    path.write_text(f'[warehouse]\npath = "{db}"\nlock_timeout_s = 0.5\n')
    return path


def test_sql_prints_a_table(config: Path) -> None:
    result = runner.invoke(app, ["sql", "select count(*) as n_runs from runs", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "n_runs" in result.output and "1" in result.output


def test_sql_json_output(config: Path) -> None:
    result = runner.invoke(app, ["sql", "select run_id, status from runs", "-c", str(config), "-f", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{"run_id": "r1", "status": "completed"}]


def test_sql_refuses_writes_and_bad_sql_without_a_traceback(config: Path) -> None:
    for query in ("delete from runs", "select nope from nowhere"):
        result = runner.invoke(app, ["sql", query, "-c", str(config)])
        assert result.exit_code == 1
        assert "error:" in result.output and "Traceback" not in result.output


def test_sql_while_a_run_holds_the_warehouse_says_so(config: Path, tmp_path: Path) -> None:
    """A real second process holds the file read-write, as a loading run does."""
    with holding(tmp_path / "tw.duckdb", 30) as proc:
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli", "sql", "select 1", "-c", str(config)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=ROOT,
        )
    assert done.returncode == 1
    assert f"held by process {proc.pid}" in done.stderr
    assert "Traceback" not in done.stderr


def test_sql_waits_for_a_short_load(config: Path, tmp_path: Path) -> None:
    config.write_text(config.read_text().replace("lock_timeout_s = 0.5", "lock_timeout_s = 30"))
    with holding(tmp_path / "tw.duckdb", 1.5):
        result = runner.invoke(app, ["sql", "select count(*) as n from runs", "-c", str(config)])
    assert result.exit_code == 0, result.output


def test_status_shows_runs_and_sources(config: Path) -> None:
    result = runner.invoke(app, ["status", "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert "Last runs" in result.output and "r1" in result.output and "Sources" in result.output
    assert "Frontier" in result.output and "queued" in result.output


def test_a_bad_config_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[http]\ntimeout_s = -1\n")
    for command in (["run"], ["status"], ["sql", "select 1"], ["serve"]):
        result = runner.invoke(app, [*command, "-c", str(bad)])
        assert result.exit_code == 2, command
        assert "config error" in result.output and "http.timeout_s" in result.output
        assert "Traceback" not in result.output


def test_no_warehouse_yet_says_run_first(tmp_path: Path) -> None:
    cfg = tmp_path / "tw.toml"
    cfg.write_text(f'[warehouse]\npath = "{tmp_path / "none.duckdb"}"\n')
    result = runner.invoke(app, ["status", "-c", str(cfg)])
    assert result.exit_code == 1 and "tradewatch run" in result.output


def test_every_command_has_help_and_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0
        assert command.callback is not None and command.callback.__doc__, f"{name} has no help text"
        assert f"tradewatch {name}" in readme, f"README does not show `tradewatch {name}`"


CONTRACT = {
    "tariffs": {
        "rate_pct",
        "previous_rate_pct",
        "imposing",
        "target",
        "products",
        "action",
        "effective_date",
        "sentence",
    },
    "deadlines": {"date_start", "date_end", "description", "sentence"},
    "events": {"type", "date", "location", "parties", "cameo", "sentence"},
}


def test_detect_prints_exactly_the_contract(tmp_path: Path) -> None:
    story = (
        "The United States doubled tariffs on steel imports to 50% on June 4.\n"
        "Negotiators must conclude talks before a July 9 deadline."
    )
    source = tmp_path / "story.txt"
    source.write_text(story)
    from_file = runner.invoke(app, ["detect", str(source), "--published", "2025-06-10"])
    from_stdin = runner.invoke(app, ["detect", "-", "--published", "2025-06-10"], input=story)
    assert from_file.exit_code == 0, from_file.output
    assert from_file.output == from_stdin.output
    found = json.loads(from_file.output)
    assert set(found) == set(CONTRACT)
    for kind, keys in CONTRACT.items():
        assert all(set(item) == keys for item in found[kind]), kind
    steel = [t for t in found["tariffs"] if t["rate_pct"] == 50]
    assert steel and steel[0]["previous_rate_pct"] == 25 and isinstance(steel[0]["rate_pct"], int)
    assert {"date_start": "2025-07-09", "date_end": "2025-07-09"}.items() <= found["deadlines"][0].items()


def test_detect_on_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["detect", str(tmp_path / "none.txt")])
    assert result.exit_code == 1 and "cannot read" in result.output


def test_serve_without_a_prefect_server_explains_how(tmp_path: Path) -> None:
    """Prefect's ephemeral server cannot schedule: serve must say so instead of waiting forever."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    cfg = tmp_path / "tw.toml"
    cfg.write_text(f'[warehouse]\npath = "{tmp_path / "tw.duckdb"}"\n')
    # Pinned: the session's Prefect test harness, when running, sets an API URL of its own.
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        result = runner.invoke(app, ["serve", "-c", str(cfg)])
    assert result.exit_code == 2
    assert "prefect server start" in result.output and "PREFECT_API_URL" in result.output


@pytest.mark.parametrize("query", ["", "   ", ";", "set threads = 1"])
def test_sql_without_rows_to_show_ends_cleanly(config: Path, query: str) -> None:
    result = runner.invoke(app, ["sql", query, "-c", str(config)])
    assert result.exit_code == (0 if query.startswith("set") else 2), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == 0 or "the query is empty" in result.output


def test_detect_says_when_it_has_no_rules_for_the_language() -> None:
    text = "Die EU erhebt ab dem 1. Juli Zölle von 25 Prozent auf Stahl aus China."
    result = runner.invoke(app, ["detect", "-", "--published", "2025-06-01", "--language", "de"], input=text)
    assert result.exit_code == 0, result.output
    assert "no detection rules for language 'de'" in result.output
    payload = result.output[result.output.index("{") :]
    assert json.loads(payload) == {"tariffs": [], "deadlines": [], "events": []}
