"""The `tradewatch` command."""

from __future__ import annotations

import os

# Before Prefect is imported: no telemetry from an offline machine, and room for a cold ephemeral server
# start (8-14 s here, close to Prefect's 20 s default).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

import csv
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from flows.config import ConfigError, Settings, load_settings, resolve_config_path
from warehouse.engine import WarehouseBusy, WarehouseError, reader
from warehouse.run_lock import run_lock

if TYPE_CHECKING:
    from prefect.states import State

# sysexits.h EX_TEMPFAIL: another run holds the warehouse; try again later.
EX_TEMPFAIL = 75

app = typer.Typer(
    help="tradewatch: follow tariffs and trade negotiations in the news, into a DuckDB warehouse.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="TOML config file (default: $TRADEWATCH_CONFIG or ./tradewatch.toml)."
    ),
]


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _fail(exc: BaseException, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
    return typer.Exit(code)


@app.command()
def run(config: ConfigOption = None) -> None:
    """Run the daily flow once now and print what it found. Exit 0 when it completed (some sources may
    have failed: the summary names them), 1 when it failed, 75 when another run holds the warehouse."""
    settings = _settings(config)
    resolved = resolve_config_path(config)
    where = (
        "the bundled sample news (served on 127.0.0.1)"
        if settings.sample
        else (f"{len(settings.enabled_sources)} sources")
    )
    try:
        # Taken here as well as in the flow, so that a run that must wait or give up costs no Prefect start.
        with run_lock(settings.warehouse.path, timeout_s=settings.warehouse.run_wait_s):
            err.print(f"tradewatch: running the daily flow on {where} -> {settings.warehouse.path}")
            from flows.daily import daily
            from flows.prefect_api import PrefectUnavailable, prefect_api

            try:
                with prefect_api():
                    state = daily(config_path=str(resolved) if resolved else None, return_state=True)
            except PrefectUnavailable as exc:
                raise _fail(exc) from None
    except WarehouseBusy as exc:
        raise _fail(exc, EX_TEMPFAIL) from None
    _finish_run(state)


def _finish_run(state: State[Any]) -> None:
    from flows.summary import RunSummary, render

    result = state.result(raise_on_failure=False)
    if isinstance(result, RunSummary):
        render(result, out)
    if state.is_completed():
        return
    if isinstance(result, WarehouseBusy):
        raise _fail(result, EX_TEMPFAIL)
    if isinstance(result, BaseException) and not isinstance(result, WarehouseError):
        # A bug, not a user error: Prefect logged the traceback above; one line here says what ended.
        raise _fail(RuntimeError(f"the run failed: {type(result).__name__}: {result}"))
    raise _fail(RuntimeError(state.message or "the run failed"))


@app.command()
def serve(config: ConfigOption = None) -> None:
    """Serve the daily flow on the configured cron schedule (runs until interrupted)."""
    settings = _settings(config)
    import httpx
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.exceptions import PrefectException
    from prefect.schedules import Cron
    from prefect.settings import get_current_settings

    from flows.daily import daily
    from flows.prefect_api import PrefectUnavailable, require_server

    api_url = get_current_settings().api.url
    if not api_url:
        # Prefect's temporary (ephemeral) server has no scheduler: served runs would never start.
        err.print(
            "[red]error:[/red] scheduling needs a Prefect server. Start one with `prefect server start`, "
            "then `export PREFECT_API_URL=http://127.0.0.1:4200/api` and run `tradewatch serve` again. "
            "Or schedule `tradewatch run` with cron instead (see the README).",
            highlight=False,
        )
        raise typer.Exit(2)
    try:
        require_server(api_url)
    except PrefectUnavailable as exc:
        raise _fail(exc) from None
    try:
        # Built here, apart from the registration below, so a cron or zone that passed the config's
        # checks but not Prefect's own (e.g. cronsim's "5L") is reported as the config's fault.
        schedule = Cron(settings.schedule.cron, timezone=settings.schedule.timezone)
    except ValueError as exc:
        err.print(
            f"[red]config error:[/red] Prefect refuses schedule.cron {settings.schedule.cron!r} / "
            f"timezone {settings.schedule.timezone!r}: {_one_line(exc)}",
            highlight=False,
        )
        raise typer.Exit(2) from None

    resolved = resolve_config_path(config)
    err.print(
        f"tradewatch: serving 'daily' on cron '{settings.schedule.cron}' ({settings.schedule.timezone}) "
        f"with {api_url}"
    )
    try:
        daily.serve(
            name="tradewatch-daily",
            schedules=[schedule],
            parameters={"config_path": str(resolved.resolve()) if resolved else None},
            # One run at a time across every `serve` of this deployment: a run still loading when the
            # next one is due would contend for the DuckDB writer lock. The late run waits its turn.
            global_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
        )
    except (httpx.HTTPError, PrefectException) as exc:
        err.print(
            f"[red]error:[/red] Prefect server {api_url} failed while serving 'daily': {_one_line(exc)}",
            highlight=False,
        )
        raise typer.Exit(1) from None


def _one_line(exc: BaseException) -> str:
    """An exception as a user reads it: its type if it says nothing, and only its first line."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


@app.command()
def status(
    config: ConfigOption = None, runs: Annotated[int, typer.Option(help="How many runs.")] = 10
) -> None:
    """Show the last runs and each source's health."""
    settings = _settings(config)
    queries = {
        "Last runs": (
            "select left(run_id, 8) as run, strftime(started_at, '%Y-%m-%d %H:%M') as started, status, "
            "sources_polled as sources, articles_new as new, articles_skipped as skipped, "
            f"articles_failed as failed, duration_s as seconds from run_history limit {runs}"
        ),
        "Sources": (
            "select source_id as source, is_enabled as enabled, last_outcome, "
            "strftime(last_polled_at, '%m-%d %H:%M') as polled, failed_last_10, articles_ok, "
            "articles_failed from source_health"
        ),
        "Frontier (announced, not stored yet)": (
            "select count(*) as queued, count(*) filter (where attempts > 0) as retrying, "
            "strftime(min(discovered_at), '%Y-%m-%d %H:%M') as oldest from frontier"
        ),
    }
    try:
        with reader(settings.warehouse.path, lock_timeout_s=settings.warehouse.lock_timeout_s) as conn:
            for title, query in queries.items():
                result = conn.exec_driver_sql(query)
                out.print(_table(list(result.keys()), result.all(), title))
    except WarehouseError as exc:
        raise _fail(exc) from None


@app.command()
def sql(
    query: Annotated[
        str, typer.Argument(help='A read-only SQL query, e.g. "select count(*) from articles".')
    ],
    config: ConfigOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Run a read-only SQL query on the warehouse (waits while a run is loading)."""
    settings = _settings(config)
    if output not in ("table", "csv", "json"):
        err.print("[red]error:[/red] --format must be table, csv or json")
        raise typer.Exit(2)
    if not query.strip().strip(";").strip():
        err.print('[red]error:[/red] the query is empty; e.g. tradewatch sql "select count(*) from articles"')
        raise typer.Exit(2)
    try:
        with reader(settings.warehouse.path, lock_timeout_s=settings.warehouse.lock_timeout_s) as conn:
            result = conn.exec_driver_sql(query)
            if not result.returns_rows:  # a `set` or `pragma` that answers nothing
                return
            columns, rows = list(result.keys()), result.all()
    except DBAPIError as exc:
        raise _fail(exc.orig or exc) from None
    except WarehouseError as exc:
        raise _fail(exc) from None
    if output == "json":
        out.print_json(json.dumps([dict(zip(columns, r, strict=True)) for r in rows], default=str))
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        out.print(_table(columns, rows))


@app.command()
def detect(
    source: Annotated[str, typer.Argument(help="A plain-text file, or - for standard input.")] = "-",
    published: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Publication day, YYYY-MM-DD; anchors relative dates. Default: today."
        ),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option(help="The text's language (ISO 639-1, e.g. en). Default: told from the text."),
    ] = None,
) -> None:
    """Detect tariffs, deadlines and trade events in a text and print them as one JSON object."""
    from extractors.detect.detector import detect as run_detection
    from extractors.detect.models import as_json

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(ValueError(f"cannot read {source}: {exc}")) from None
    day = published.date() if published else datetime.now(UTC).date()
    detection = run_detection(text, day, language)
    if detection.language is None:
        which = f"language {language!r}" if language else "the language of this text"
        err.print(f"note: no detection rules for {which} (tradewatch reads English); nothing was looked for")
    sys.stdout.write(json.dumps(as_json(detection), ensure_ascii=False, indent=2) + "\n")


@app.command()
def reprocess(
    config: ConfigOption = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Only articles published since this day.")
    ] = None,
) -> None:
    """Run detection again over stored articles (after the rules change), replacing their old results."""
    settings = _settings(config)
    from flows.reprocess import reprocess as run_reprocess

    try:
        result = run_reprocess(settings, since=since.date() if since else None)
    except WarehouseBusy as exc:
        raise _fail(exc, EX_TEMPFAIL) from None
    except WarehouseError as exc:
        raise _fail(exc) from None
    c = result.counts
    out.print(
        f"reprocessed {result.articles} articles in {result.duration_s:.1f} s: "
        f"{c.tariffs} tariff figures, {c.deadlines} deadlines, {c.events} events (run {result.run_id})"
    )


@app.command()
def alerts(
    config: ConfigOption = None,
    limit: Annotated[int, typer.Option(help="How many alerts.")] = 20,
    test: Annotated[bool, typer.Option("--test", help="Send a test message to every channel.")] = False,
) -> None:
    """List recent deadline alerts and their status; --test sends a test message to every channel."""
    settings = _settings(config)
    from flows.alerts import send_test

    if test:
        results = send_test(settings)
        if not results:
            err.print("no alert channel configured: set alerts.urls or $TRADEWATCH_ALERT_URLS")
            raise typer.Exit(1)
        for channel, error in results.items():
            status = "[green]ok[/green]" if error is None else "[red]failed[/red]"
            detail = escape(channel + (f": {error}" if error else ""))
            out.print(f"{status}  {detail}", highlight=False, soft_wrap=True)
        if any(error is not None for error in results.values()):
            raise typer.Exit(1)
        return
    query = (
        "select strftime(created_at, '%m-%d %H:%M') as created, split_part(message, chr(10), 1) as alert, "
        "coalesce(nullif(channel, ''), '-') as channel, status, attempts, last_error "
        f"from alerts order by created_at desc, date_start limit {limit}"
    )
    try:
        with reader(settings.warehouse.path, lock_timeout_s=settings.warehouse.lock_timeout_s) as conn:
            result = conn.exec_driver_sql(query)
            out.print(_table(list(result.keys()), result.all(), "Recent alerts"))
    except DBAPIError as exc:
        raise _fail(exc.orig or exc) from None
    except WarehouseError as exc:
        raise _fail(exc) from None


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    return table


if __name__ == "__main__":
    app()
