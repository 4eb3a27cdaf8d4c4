import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

from warehouse import frontier, store
from warehouse.engine import WarehouseError, reader, writer
from warehouse.migrate import apply_views, ensure_schema, views_dir
from warehouse.schema import SCHEMA_VERSION, metadata

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def _ensure(path: Path) -> int:
    with writer(path) as conn:
        return ensure_schema(conn, NOW)


def test_ensure_schema_is_idempotent_and_records_the_version(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    assert _ensure(path) == SCHEMA_VERSION
    assert _ensure(path) == SCHEMA_VERSION
    with reader(path) as conn:
        versions = conn.execute(text("select version from schema_info")).scalars().all()
        tables = set(conn.execute(text("select table_name from information_schema.tables")).scalars())
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert set(metadata.tables) <= tables
    assert {p.stem for p in views_dir().glob("*.sql")} <= tables


def test_a_newer_warehouse_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    _ensure(path)
    with writer(path) as conn:
        conn.execute(text(f"insert into schema_info values ({SCHEMA_VERSION + 1}, now())"))
    with pytest.raises(WarehouseError, match="newer than this tradewatch"):
        _ensure(path)


def test_every_view_file_defines_the_view_it_is_named_for() -> None:
    for path in views_dir().glob("*.sql"):
        body = path.read_text().lower()
        assert f"create or replace view {path.stem} as" in body, path.name


def test_views_apply_after_the_views_they_read(tmp_path: Path) -> None:
    views = tmp_path / "sql"
    views.mkdir()
    (views / "a_totals.sql").write_text(
        "create or replace view a_totals as select sum(n) as n from b_numbers"
    )
    (views / "b_numbers.sql").write_text("create or replace view b_numbers as select 1 as n")
    with writer(tmp_path / "w.duckdb") as conn:
        assert apply_views(conn, views) == ["b_numbers", "a_totals"]
        assert conn.execute(text("select n from a_totals")).scalar_one() == 1


def test_a_broken_view_names_its_file(tmp_path: Path) -> None:
    views = tmp_path / "sql"
    views.mkdir()
    (views / "broken.sql").write_text("create or replace view broken as select * from no_such_table")
    with pytest.raises(WarehouseError, match=r"broken\.sql"), writer(tmp_path / "w.duckdb") as conn:
        apply_views(conn, views)


def test_the_duckdb_cli_opens_the_warehouse(tmp_path: Path) -> None:
    """Analysts use the duckdb CLI from PyPI (duckdb-cli 1.5.x); it must read the file we write."""
    cli = shutil.which(
        "duckdb", path=str(Path(__file__).resolve().parents[2] / ".venv" / "bin")
    ) or shutil.which("duckdb")
    if cli is None:
        pytest.skip("duckdb CLI not installed (pip install duckdb-cli)")
    path = tmp_path / "w.duckdb"
    _ensure(path)
    done = subprocess.run(
        [cli, "-readonly", "-csv", str(path), "-c", "select count(*) as n from articles"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["n", "0"]


def test_a_version_1_file_is_migrated_in_place(tmp_path: Path) -> None:
    """A file from before detection: its runs table lacks the detection counts, its tables stay."""
    path = tmp_path / "v1.duckdb"
    with writer(path) as conn:
        conn.execute(text("create table schema_info (version integer primary key, applied_at timestamptz)"))
        conn.execute(text("insert into schema_info values (1, now())"))
        # The version-1 runs table; the tables new in version 2 are made by create_all.
        conn.execute(
            text(
                "create table runs (run_id text primary key, flow_run_id text, "
                "started_at timestamptz not null, finished_at timestamptz, status text not null, "
                "config_path text, sources_polled integer, feeds_not_modified integer, "
                "feeds_failed integer, entries_seen integer, articles_new integer, "
                "articles_skipped integer, articles_failed integer, duration_s double, error text)"
            )
        )
        conn.execute(text("insert into runs (run_id, started_at, status) values ('old', now(), 'completed')"))
    assert _ensure(path) == SCHEMA_VERSION
    with reader(path) as conn:
        row = conn.execute(text("select run_id, tariffs_found from runs")).one()
        versions = conn.execute(text("select version from schema_info order by version")).scalars().all()
    assert tuple(row) == ("old", None)
    assert versions == list(range(1, SCHEMA_VERSION + 1))


def test_version_4_retires_the_keys_it_no_longer_follows(tmp_path: Path) -> None:
    """`USA|dispute` was followed across dates up to version 3; its deadlines now have anchored keys."""
    path = tmp_path / "v3.duckdb"
    with writer(path) as conn:
        metadata.create_all(conn)
        for version in (1, 2, 3):
            conn.execute(text(f"insert into schema_info values ({version}, now())"))
        for key in ("USA|dispute", "USA|other", "CHN+USA|truce", "USA|dispute|@2026-12-04..2026-12-04"):
            conn.execute(
                text(
                    "insert into tracked_deadlines (deadline_key, label, date_start, date_end, dated_on, "
                    "first_seen_at, last_seen_at, reported_at, source_count, article_count, article_id, "
                    "sentence, url, status, run_id) values (:key, :key, date '2026-12-04', "
                    "date '2026-12-04', date '2026-11-20', now(), now(), now(), 1, 1, 'a', 's', 'u', "
                    "'upcoming', 'r')"
                ),
                {"key": key},
            )
    assert _ensure(path) == SCHEMA_VERSION
    with reader(path) as conn:
        status = {k: v for k, v in conn.execute(text("select deadline_key, status from tracked_deadlines"))}
    assert status == {
        "USA|dispute": "merged",
        "USA|other": "merged",
        "CHN+USA|truce": "upcoming",
        "USA|dispute|@2026-12-04..2026-12-04": "upcoming",
    }


V4_EXPORT = Path(__file__).parent / "fixtures" / "v4-warehouse"


def _v4_file(path: Path) -> Path:
    """A DuckDB file as the version-4 release left it (see the fixture's README)."""
    conn = duckdb.connect(str(path))
    try:
        conn.execute((V4_EXPORT / "schema.sql").read_text(encoding="utf-8"))
        conn.execute(
            (V4_EXPORT / "load.sql").read_text(encoding="utf-8").replace("'export/", f"'{V4_EXPORT}/")
        )
    finally:
        conn.close()
    return path


def test_a_version_4_warehouse_is_upgraded_in_place(tmp_path: Path) -> None:
    path = _v4_file(tmp_path / "v4.duckdb")
    with reader(path) as conn:
        before = {t: conn.execute(text(f"select count(*) from {t}")).scalar_one() for t in _KEPT_TABLES}
    assert _ensure(path) == SCHEMA_VERSION == 5
    with writer(path) as conn:
        after = {t: conn.execute(text(f"select count(*) from {t}")).scalar_one() for t in _KEPT_TABLES}
        assert after == before  # nothing lost
        # Validators dropped: the next poll reads every feed once, in case v4 lost entries to a kill.
        assert conn.execute(text("select count(*) from sources where etag is not null")).scalar_one() == 0
        # The transient failure v4 would have retried is queued, with its attempt and error.
        [queued] = frontier.due(conn, now=datetime.now(UTC), max_attempts=3)
        row = conn.execute(
            text("select extraction_status, feed_title, attempts, error from articles where article_id = :a"),
            {"a": queued.article_id},
        ).one()
        assert row[0] == "timeout" and queued.entry.title == row[1]
        assert queued.previous_attempts == row[2] == 1
        # The run v4 left running is taken for dead by the next run, which holds the run lock.
        assert store.abandon_stale_runs(conn, now=NOW) == 1
        statuses = dict(conn.execute(text("select run_id, status from runs")).all())
        assert statuses["killed-v4-run"] == "abandoned"
        assert conn.execute(text("select count(*) from runs where alerted_at is null")).scalar_one() == 0
        # v4 read every text as English.
        statuses = conn.execute(
            text("select count(*) filter (where detection_status = 'detected'), count(text) from articles")
        ).one()
        assert statuses[0] == statuses[1] > 0
    # And the upgraded file takes a run's writes: the alert views and the new columns are in place.
    with writer(path) as conn:
        store.start_run(conn, "v5-run", started_at=NOW, flow_run_id=None, config_path=None)
        assert conn.execute(text("select pid from runs where run_id = 'v5-run'")).scalar_one() > 0
        assert conn.execute(text("select count(*) from upcoming_deadlines")).scalar_one() >= 0
    assert _ensure(path) == SCHEMA_VERSION  # and again: idempotent


_KEPT_TABLES = ("articles", "raw_pages", "tariff_measures", "deadlines", "events", "event_parties",
                "tracked_deadlines", "alerts", "sources", "feed_fetches", "runs")  # fmt: skip
