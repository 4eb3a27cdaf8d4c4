"""`tradewatch reprocess` over a real DuckDB file: detection re-runs and replaces, never duplicates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from flows.config import Settings, WarehouseSettings
from flows.progress import RunProgress
from flows.reprocess import reprocess
from warehouse.engine import reader, writer
from warehouse.load import upsert
from warehouse.migrate import ensure_schema
from warehouse.schema import articles, tariff_measures

TEXT = (
    "The United States raised tariffs on steel imports from 25% to 50% on June 4.\n"
    "Officials said talks with Canada would continue next week."
)


def _article(article_id: str, body: str | None, status: str = "ok") -> dict[str, object]:
    return {
        "article_id": article_id,
        "source_id": "wire",
        "url": f"https://example.org/{article_id}",
        "canonical_url": f"https://example.org/{article_id}",
        "published_at": datetime(2025, 6, 10, 9, tzinfo=UTC),
        "fetched_at": datetime(2025, 6, 10, 10, tzinfo=UTC),
        "text": body,
        "word_count": len(body.split()) if body else 0,
        "extraction_status": status,
        "attempts": 1,
        "run_id": "r0",
    }


def test_reprocess_replaces_old_results(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    settings = Settings(warehouse=WarehouseSettings(path=path))
    with writer(path) as conn:
        ensure_schema(conn, datetime.now(UTC))
        upsert(conn, articles, [_article("a1", TEXT), _article("a2", None, status="not_html")])
        # A stale figure from older rules, which the new run must replace.
        upsert(
            conn,
            tariff_measures,
            [
                {
                    "measure_id": "a1:0",
                    "article_id": "a1",
                    "rate_pct": 99.0,
                    "products": "",
                    "action": "other",
                    "sentence": "old",
                    "run_id": "r0",
                }
            ],
        )

    first = reprocess(settings, progress=RunProgress(enabled=False))
    second = reprocess(settings, progress=RunProgress(enabled=False))

    assert first.articles == second.articles == 1  # the failed page has no text to read
    assert first.counts == second.counts
    assert first.counts.tariffs >= 1
    with reader(path) as conn:
        rates = conn.execute(text("select rate_pct from tariff_measures order by rate_pct")).scalars().all()
        runs = conn.execute(text("select count(*) from runs where run_id like 'reprocess-%'")).scalar_one()
    assert 99.0 not in rates and 50.0 in rates
    assert len(rates) == second.counts.tariffs
    assert runs == 2
