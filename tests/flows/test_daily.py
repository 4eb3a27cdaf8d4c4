"""The daily flow end to end: a real HTTP server on 127.0.0.1, a real DuckDB file, the Prefect harness."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from extractors.feeds import parse_feed
from flows import tasks
from flows.cli import app
from flows.config import load_settings
from flows.daily import daily
from flows.local_server import Page, serve
from flows.progress import RunProgress
from flows.sample_news import render_sample, sample_sources
from flows.summary import RunSummary
from tests.extractors.fault_server import FaultServer
from tests.flows.news_pages import ARTICLE
from tests.lock_holder import holding, holding_run_lock
from warehouse import store
from warehouse.engine import reader, writer
from warehouse.migrate import ensure_schema

pytestmark = pytest.mark.flow

TODAY = date(2026, 11, 24)

EMPTY_PAGE = "<html><body><div class='cookie'>We use cookies. Accept?</div></body></html>"


def _rss(links: list[str]) -> bytes:
    """Relative links: the feed parser resolves them against the feed's URL."""
    items = "".join(
        f"<item><title>Item {i}</title><link>{link}</link>"
        f"<pubDate>Mon, 23 Nov 2026 09:00:00 +0000</pubDate></item>"
        for i, link in enumerate(links)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()
    )


def _site() -> dict[str, Page]:
    html = "text/html; charset=utf-8"
    pages = {
        f"/news/{i}.html": Page(
            ARTICLE.format(
                title=f"Steel tariff story {i}", body=f"Story number {i} about a 25% duty."
            ).encode(),
            html,
        )
        for i in range(3)
    }
    pages["/files/report.pdf"] = Page(b"%PDF-1.7\n%binary report\n", "application/pdf")
    pages["/img/chart.png"] = Page(b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")
    pages["/news/empty.html"] = Page(EMPTY_PAGE.encode(), html)
    pages["/good.xml"] = Page(
        _rss(
            [
                "/news/0.html",
                "/news/1.html?utm_source=rss",
                "/files/report.pdf",
                "/img/chart.png",
                "/news/empty.html",
            ]
        ),
        "application/rss+xml",
    )
    # Malformed: an unclosed tag after a usable entry. Its entry repeats news/1 without the tracking
    # parameter, so it is the same article and must not be fetched twice.
    pages["/broken.xml"] = Page(
        _rss(["/news/2.html", "/news/1.html"]).replace(b"</channel>", b"<item><title>oops</channel>"),
        "application/rss+xml",
    )
    return pages


@pytest.fixture
def site() -> Iterator[str]:
    with serve(_site()) as base:
        yield base


def _config(tmp_path: Path, body: str, top: str = "") -> Path:
    path = tmp_path / "tradewatch.toml"
    path.write_text(
        top + f'[warehouse]\npath = "{tmp_path / "tw.duckdb"}"\nlock_timeout_s = 10\n'
        "[http]\ntimeout_s = 3\nretries = 1\nbackoff_s = 0.05\nper_host_delay_s = 0\n"
        'allowed_private_hosts = ["127.0.0.1"]\n' + body
    )
    return path


def _scalar(db: Path, query: str) -> object:
    with reader(db) as conn:
        return conn.execute(text(query)).scalar_one()


def test_daily_loads_counts_failures_and_is_idempotent(
    prefect_harness: None, site: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = _config(
        tmp_path,
        f'[[sources]]\nname = "Good Feed"\nfeed_url = "{site}/good.xml"\n'
        f'[[sources]]\nname = "Broken Feed"\nfeed_url = "{site}/broken.xml"\n'
        '[[sources]]\nname = "Unreachable"\nfeed_url = "http://127.0.0.1:9/feed.xml"\n'
        '[[sources]]\nname = "Switched Off"\nfeed_url = "http://127.0.0.1:9/off.xml"\nenabled = false\n',
    )
    db = tmp_path / "tw.duckdb"
    with caplog.at_level(logging.WARNING):
        first = daily(config_path=str(config))

    c = first.counts
    assert (c.sources_polled, c.feeds_failed, c.feeds_not_modified) == (3, 1, 0)
    assert (c.articles_new, c.articles_failed, c.articles_skipped) == (3, 3, 0)
    assert _scalar(db, "select count(*) from articles where extraction_status = 'ok'") == 3
    with reader(db) as conn:
        statuses = dict(conn.execute(text("select url, extraction_status from articles")).all())
        polls = dict(conn.execute(text("select source_id, outcome from feed_fetches")).all())
        bozo = conn.execute(
            text("select bozo from feed_fetches where source_id = 'broken-feed'")
        ).scalar_one()
    assert statuses[f"{site}/files/report.pdf"] == "not_html"
    assert statuses[f"{site}/img/chart.png"] == "not_html"
    assert statuses[f"{site}/news/empty.html"] == "empty"
    assert polls == {"good-feed": "ok", "broken-feed": "ok", "unreachable": "network_error"}
    assert bozo is True
    logged = caplog.text
    assert "Unreachable" in logged and "network_error" in logged
    assert "malformed feed" in logged
    assert "report.pdf: not_html" in logged and "empty.html: empty" in logged

    second = daily(config_path=str(config))
    assert second.counts.feeds_not_modified == 2  # ETag sent back, 304 answered
    assert second.counts.articles_new == 0 and second.counts.articles_failed == 0
    assert _scalar(db, "select count(*) from articles") == 6
    assert _scalar(db, "select count(*) from raw_pages") == 6
    assert _scalar(db, "select count(*) from runs where status = 'completed'") == 2
    assert _scalar(db, "select count(distinct run_id) from articles") == 1


def test_daily_on_the_sample_loads_every_article_once(prefect_harness: None, tmp_path: Path) -> None:
    config = _config(tmp_path, "", top="sample = true\n")
    db = tmp_path / "tw.duckdb"
    base = "http://127.0.0.1:8"
    pages = render_sample(TODAY, base)
    expected = sum(
        len(parse_feed(pages[str(s.feed_url).removeprefix(base)].body, url=str(s.feed_url)).entries)
        for s in sample_sources(base)
    )
    assert expected >= 30

    first = daily(config_path=str(config), today=TODAY)
    assert first.counts.articles_failed == 0
    assert first.counts.articles_new == expected
    assert (
        _scalar(db, "select count(*) from articles where extraction_status = 'ok' and word_count > 150")
        == expected
    )

    # One alert per deadline, not per report: the steel and aluminum increase 9 days ahead is told by all
    # three outlets in six sentences (samples/ANSWERS.md), and is one deadline from three sources.
    is_upcoming = "from tracked_deadlines where status = 'upcoming'"
    upcoming = f"select count(*) {is_upcoming}"
    assert len(first.alerts.created) == _scalar(db, upcoming)
    assert _scalar(db, "select count(*) from deadlines") > len(first.alerts.created)
    steel_day = f"date '{TODAY + timedelta(days=9)}'"
    steel = f"select count(*) from deadlines where date_start = {steel_day}"
    assert _scalar(db, steel) >= 6
    assert _scalar(db, f"{upcoming} and date_start = {steel_day}") == 1
    label = f"select label || ' / ' || source_count {is_upcoming} and date_start = {steel_day}"
    assert _scalar(db, label) == "USA tariff on aluminum, steel / 3"

    second = daily(config_path=str(config), today=TODAY)
    assert second.counts.articles_new == 0
    assert second.alerts.created == ()
    assert _scalar(db, "select count(*) from articles") == expected


def test_what_a_poll_announced_survives_a_run_that_died_before_fetching(
    prefect_harness: None, site: str, tmp_path: Path
) -> None:
    """A run is killed right after its poll was stored (feeds' validators saved): the next run gets 304 for
    the feed, and still fetches every article the dead run's poll announced, from the frontier."""
    config = _config(tmp_path, f'[[sources]]\nname = "Good Feed"\nfeed_url = "{site}/good.xml"\n')
    db = tmp_path / "tw.duckdb"
    settings = load_settings(config)
    with writer(db) as conn:
        ensure_schema(conn, datetime.now(UTC))
        store.start_run(conn, "killed", started_at=datetime.now(UTC), flow_run_id=None, config_path=None)
    polls = tasks.poll_feeds.fn(settings.sources, {}, settings.http, RunProgress(enabled=False))
    candidates, _ = tasks.candidate_articles(settings.sources, polls)
    sources = tasks.source_records(settings.sources, polls, {})
    tasks.record_polls.fn("killed", sources, polls, candidates, db, 10)
    # ... and here the process died.
    assert _scalar(db, "select count(*) from sources where etag is not null") == 1
    assert _scalar(db, "select count(*) from articles") == 0

    summary = daily(config_path=str(config))
    assert summary.counts.feeds_not_modified == 1
    # good.xml links two stories, a PDF, a PNG and an empty page.
    assert (summary.counts.articles_new, summary.counts.articles_failed) == (2, 3)
    assert _scalar(db, "select count(*) from articles") == 5
    assert _scalar(db, "select count(*) from frontier") == 0
    assert _scalar(db, "select status from runs where run_id = 'killed'") == "abandoned"


def test_a_load_that_fails_loses_nothing(prefect_harness: None, tmp_path: Path) -> None:
    """Another process holds the warehouse while the run loads (an analyst's read-write session): the load
    fails, the run ends Failed and says why, and the next run stores every article from the frontier."""
    db = tmp_path / "tw.duckdb"
    with ExitStack() as other_process:
        held: list[object] = []

        class Pages(dict[str, Page]):
            def get(self, key: str, default: Page | None = None) -> Page | None:  # type: ignore[override]
                if key.startswith("/news/") and not held:  # the first article fetched: take the file
                    held.append(other_process.enter_context(holding(db, 120)))
                return super().get(key, default)

        with serve(Pages(_site())) as base:
            config = _config(tmp_path, f'[[sources]]\nname = "Good Feed"\nfeed_url = "{base}/good.xml"\n')
            config.write_text(config.read_text().replace("lock_timeout_s = 10", "lock_timeout_s = 0.5"))
            state = daily(config_path=str(config), return_state=True)
            assert state.is_failed() and "held by process" in (state.message or "")
            other_process.close()
            assert held
            assert _scalar(db, "select count(*) from articles") == 0
            assert _scalar(db, "select count(*) from frontier") == 5

            again = daily(config_path=str(config))
            assert again.counts.feeds_not_modified == 1
            assert (again.counts.articles_new, again.counts.articles_failed) == (2, 3)
            assert _scalar(db, "select count(*) from frontier") == 0
            assert _scalar(db, "select count(*) from runs where status = 'abandoned'") == 1


def test_every_source_failing_fails_the_run(prefect_harness: None, tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        '[[sources]]\nname = "Down"\nfeed_url = "http://127.0.0.1:9/feed.xml"\n'
        '[[sources]]\nname = "Also Down"\nfeed_url = "http://127.0.0.1:9/other.xml"\n',
    )
    state = daily(config_path=str(config), return_state=True)
    assert state.is_failed()
    assert state.message == "every source failed (2 of 2: network_error)"
    summary = state.result(raise_on_failure=False)
    assert isinstance(summary, RunSummary) and summary.counts.feeds_failed == 2
    db = tmp_path / "tw.duckdb"
    assert _scalar(db, "select status || ': ' || error from runs") == "failed: " + state.message

    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert "error: every source failed (2 of 2: network_error)" in result.output
    assert "Traceback" not in result.output


def test_some_sources_failing_is_a_completed_run_that_names_them(
    prefect_harness: None, site: str, tmp_path: Path
) -> None:
    config = _config(
        tmp_path,
        f'[[sources]]\nname = "Good Feed"\nfeed_url = "{site}/good.xml"\n'
        '[[sources]]\nname = "Down"\nfeed_url = "http://127.0.0.1:9/feed.xml"\n',
    )
    result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "down" in result.output and "network_error" in result.output


def test_a_second_run_waits_then_exits_75_without_starting(tmp_path: Path) -> None:
    """No Prefect harness: the refused run must not get as far as needing Prefect."""
    config = _config(tmp_path, '[[sources]]\nname = "A"\nfeed_url = "http://127.0.0.1:9/a.xml"\n')
    config.write_text(
        config.read_text().replace("lock_timeout_s = 10", "lock_timeout_s = 10\nrun_wait_s = 0.5")
    )
    with holding_run_lock(tmp_path / "tw.duckdb") as other:
        result = CliRunner().invoke(app, ["run", "--config", str(config)])
    assert result.exit_code == 75, result.output
    assert f"another tradewatch run (pid {other.pid} on " in result.output
    assert "Traceback" not in result.output


# Article links to hostile servers, and what each must leave in the warehouse (issue 8): the run completes.
FAULTS = {
    "/silent": ("timeout", True),
    "/drip": ("timeout", True),
    "/status/500-then-ok": ("empty", False),  # retried within the fetch; the page has too few words
    "/status/429-retry-after-seconds": ("empty", False),
    "/status/404": ("http_error", False),  # not retried on later runs: it will not come back
    "/status/410": ("http_error", False),
    "/reset-mid-body": ("network_error", True),
    "/short-body": ("network_error", True),
    "/big/chunked": ("too_large", False),
    "/bomb/burst": ("too_large", False),
    "/redirect/loop": ("network_error", True),
    "/pdf": ("not_html", False),
    "/empty": ("empty", False),
}


def test_a_run_through_hostile_servers_completes_and_queues_what_may_come_back(
    prefect_harness: None, tmp_path: Path
) -> None:
    with FaultServer(bomb_size=64 * 1024 * 1024) as faults:
        links = [faults.url(path, host="127.0.0.1") for path in FAULTS]
        with serve({"/feed.xml": Page(_rss(links), "application/rss+xml")}) as site:
            config = _config(tmp_path, f'[[sources]]\nname = "Hostile"\nfeed_url = "{site}/feed.xml"\n')
            config.write_text(
                config.read_text().replace(
                    "timeout_s = 3\n", "timeout_s = 1\ndeadline_s = 3\nmax_body_bytes = 1_000_000\n"
                )
            )
            state = daily(config_path=str(config), return_state=True)
    assert state.is_completed(), state.message
    db = tmp_path / "tw.duckdb"
    with reader(db) as conn:
        stored = dict(conn.execute(text("select url, extraction_status from articles")).all())
        queued = dict(conn.execute(text("select url, attempts from frontier")).all())
    assert stored == {faults.url(p, host="127.0.0.1"): status for p, (status, _) in FAULTS.items()}
    assert queued == {faults.url(p, host="127.0.0.1"): 1 for p, (_, again) in FAULTS.items() if again}
