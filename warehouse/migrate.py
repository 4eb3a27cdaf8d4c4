"""Bringing a warehouse file to the current schema version, and applying the SQL views in sql/."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import DBAPIError

from extractors.models import RETRYABLE_STATUSES, FetchOutcome
from warehouse.engine import WarehouseError
from warehouse.schema import SCHEMA_VERSION, metadata, schema_info


def _v2_detection_counts(conn: Connection) -> None:
    for column in ("tariffs_found", "deadlines_found", "events_found"):
        conn.exec_driver_sql(f"alter table runs add column if not exists {column} integer")


def _v4_unfollowed_keys(conn: Connection) -> None:
    """Version 4 stopped following `dispute` and `other` keys across dates (`extractors.deadline_keys`): their
    deadlines now come under date-anchored keys. The old rows are retired as `merged`, so that they never
    send a due-soon alert beside the new key's; the new key alerts once as new."""
    conn.exec_driver_sql(
        "update tracked_deadlines set status = 'merged' where deadline_key not like '%|@%'"
        " and split_part(deadline_key, '|', 2) in ('dispute', 'other')"
    )


def _v5_frontier(conn: Connection) -> None:
    """Version 5 keeps every announced article in `frontier` until it is settled. Version 4 stored a feed's
    validators before fetching its articles, so a run that died could leave entries that no 304 would
    announce again: the validators are dropped, making the next poll read every feed in full once (what
    is stored already is skipped), and the transient failures v4 would have retried become queued rows."""
    for column, kind in (("pid", "integer"), ("hostname", "text"), ("alerted_at", "timestamptz")):
        conn.exec_driver_sql(f"alter table runs add column if not exists {column} {kind}")
    # Detection before version 5 read every text as English.
    conn.exec_driver_sql("alter table articles add column if not exists detection_status text")
    conn.exec_driver_sql("update articles set detection_status = 'detected' where text is not null")
    # Runs before version 5 had their deadlines read by the alert step that followed them.
    conn.exec_driver_sql("update runs set alerted_at = coalesce(finished_at, started_at)")
    conn.exec_driver_sql("update sources set etag = null, last_modified = null")
    transient = ", ".join(f"'{o.value}'" for o in FetchOutcome if o.is_transient)
    retryable = ", ".join(str(status) for status in sorted(RETRYABLE_STATUSES))
    conn.exec_driver_sql(
        "insert into frontier (article_id, source_id, url, canonical_url, language, entry_title,"
        " entry_published_at, entry_author, discovered_at, attempts, last_attempt_at, last_error,"
        " next_attempt_at, run_id)"
        " select article_id, source_id, url, canonical_url, language, feed_title, published_at, author,"
        " fetched_at, attempts, fetched_at, error, fetched_at, run_id"
        f" from articles where extraction_status in ({transient})"
        f" and (http_status is null or http_status >= 500 or http_status in ({retryable}))"
        " on conflict do nothing"
    )


# Step N brings a version N-1 file to version N (tables that are new in N are made by create_all).
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    2: _v2_detection_counts,
    4: _v4_unfollowed_keys,
    5: _v5_frontier,
}


def views_dir() -> Path:
    """sql/ beside the packages in a checkout; warehouse/sql in an installed wheel."""
    packaged = Path(__file__).resolve().parent / "sql"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "sql"


def ensure_schema(conn: Connection, now: datetime) -> int:
    """Create what is missing, migrate an older file, refuse a newer one. Idempotent. Returns the
    version the file is at afterwards."""
    metadata.create_all(conn, checkfirst=True)
    stored = conn.execute(select(func.max(schema_info.c.version))).scalar_one_or_none()
    if stored is not None and stored > SCHEMA_VERSION:
        raise WarehouseError(
            f"the warehouse is at schema version {stored}, newer than this tradewatch ({SCHEMA_VERSION}): "
            "upgrade tradewatch"
        )
    for version in range((stored or 0) + 1, SCHEMA_VERSION + 1):
        if stored is not None and version in MIGRATIONS:
            MIGRATIONS[version](conn)
        conn.execute(insert(schema_info).values(version=version, applied_at=now))
    apply_views(conn, views_dir())
    return SCHEMA_VERSION


def apply_views(conn: Connection, directory: Path) -> list[str]:
    """Run every `*.sql` file (one `create or replace view <file stem>` each), a view after the views it
    names, so files need no numeric prefixes. Returns the view names in the order applied."""
    texts = {path.stem: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.sql"))}
    graph = {
        name: {other for other in texts if other != name and re.search(rf"\b{other}\b", text)}
        for name, text in texts.items()
    }
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise WarehouseError(f"views refer to each other in a cycle: {exc.args[1]}") from None
    for name in order:
        try:
            conn.exec_driver_sql(texts[name])
        except DBAPIError as exc:
            raise WarehouseError(f"view {name}.sql does not apply: {exc.orig}") from exc
    return order
