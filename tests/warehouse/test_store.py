"""What `store.save_articles` records of detection, on a real DuckDB file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import text

from extractors.detect.models import Detection
from tests.warehouse.test_frontier import NOW, pending, stored
from warehouse import store
from warehouse.engine import reader, writer
from warehouse.migrate import ensure_schema


def test_an_article_in_a_language_without_rules_is_marked_unread(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    read = replace(stored(pending(1)), detection=Detection((), (), (), language="en"))
    unread = replace(stored(pending(2)), detection=Detection((), (), (), language=None))
    no_text = stored(pending(3))
    with writer(db) as conn:
        ensure_schema(conn, NOW)
        store.save_articles(conn, "r1", [read, unread, no_text], max_attempts=3)
    with reader(db) as conn:
        rows = dict(conn.execute(text("select article_id, detection_status from articles")).all())
    assert rows == {"id001": "detected", "id002": "unsupported_language", "id003": None}
