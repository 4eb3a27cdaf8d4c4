from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import text

from extractors.detect.models import (
    Deadline,
    Detection,
    EventType,
    TariffAction,
    TariffFigure,
    TradeEvent,
)
from warehouse.detections import ArticleDetection, cluster_key, replace_detections
from warehouse.engine import reader, writer
from warehouse.migrate import ensure_schema

FIGURE = TariffFigure(50, 25, "USA", None, ("steel", "aluminum"), TariffAction.RAISE, date(2025, 6, 4), "S1")
DEADLINE = Deadline(date(2025, 7, 9), date(2025, 7, 9), "talks deadline", "S2")
TALKS = TradeEvent(EventType.TALKS, date(2025, 6, 10), "London", ("CHN", "USA"), "046", "S3")


def _counts(path: Path) -> tuple[int, ...]:
    with reader(path) as conn:
        return tuple(
            conn.execute(text(f"select count(*) from {t}")).scalar_one()
            for t in ("tariff_measures", "deadlines", "events", "event_parties")
        )


def test_replacing_is_idempotent_and_drops_stale_rows(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    full = ArticleDetection("a1", date(2025, 6, 10), Detection((FIGURE,), (DEADLINE,), (TALKS,)))
    with writer(path) as conn:
        ensure_schema(conn, datetime.now(UTC))
        replace_detections(conn, "r1", [full])
    with writer(path) as conn:
        counts = replace_detections(conn, "r2", [full])
    assert (counts.tariffs, counts.deadlines, counts.events) == (1, 1, 1)
    assert _counts(path) == (1, 1, 1, 2)
    with reader(path) as conn:
        row = conn.execute(
            text("select products, previous_rate_pct, effective_date, run_id from tariff_measures")
        ).one()
    assert tuple(row) == ("steel; aluminum", 25.0, date(2025, 6, 4), "r2")

    # The rules change and find only the deadline: the article's other rows go.
    with writer(path) as conn:
        replace_detections(
            conn, "r3", [ArticleDetection("a1", date(2025, 6, 10), Detection((), (DEADLINE,), ()))]
        )
    assert _counts(path) == (0, 1, 0, 0)


def test_the_same_event_from_two_articles_is_one_cluster() -> None:
    undated = TradeEvent(EventType.TRUCE, None, "Geneva", ("CHN", "USA"), "085", "x")
    assert cluster_key(TALKS, date(2025, 6, 10)) == cluster_key(TALKS, date(2025, 6, 11))
    assert cluster_key(undated, date(2025, 6, 10)) != cluster_key(undated, date(2025, 6, 11))
    assert cluster_key(TALKS, None) != cluster_key(undated, None)
