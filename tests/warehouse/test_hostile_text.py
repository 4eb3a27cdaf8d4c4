"""Hostile text reaches the warehouse and never fails a load: harmless text is stored verbatim,
what is unsafe arrives cleaned, and a lone surrogate an extractor let through becomes U+FFFD."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from extractors.articles import extract_article
from extractors.feeds import parse_feed
from extractors.models import Article, ExtractionStatus, FeedEntry, FetchOutcome, FetchResult
from extractors.text import CONTROL, TITLE_MAX
from warehouse.engine import reader, writer
from warehouse.migrate import ensure_schema
from warehouse.records import ArticleRecord, PendingArticle
from warehouse.schema import articles
from warehouse.store import save_articles

FIXTURES = Path(__file__).resolve().parents[1] / "extractors" / "fixtures"
NOW = datetime(2024, 3, 6, 12, 0, tzinfo=UTC)
SQL = "'); drop table articles; --"
EMOJI = "🇺🇸 👨\u200d👩\u200d👧 👍🏽 de\u0301cision"
BODY = (
    "The commission confirmed on Tuesday that the new tariff schedule for imported steel applies "
    "from July, after member states approved the quota allocation. "
) * 2
TEXT_COLUMNS = ("feed_title", "title", "author", "site_name", "text", "error")


def record(article_id: str, entry: FeedEntry, article: Article | None) -> ArticleRecord:
    fetch = FetchResult(url=entry.link, outcome=FetchOutcome.OK, final_url=entry.link, status=200)
    pending = PendingArticle(article_id, entry.link, "src", entry, language="en")
    return ArticleRecord(pending=pending, fetched_at=NOW, fetch=fetch, article=article)


def load(path: Path, records: list[ArticleRecord]) -> dict[str, dict[str, object]]:
    with writer(path) as conn:
        ensure_schema(conn, NOW)
        save_articles(conn, "run-1", records, max_attempts=3)
    with reader(path) as conn:
        return {row.article_id: row._asdict() for row in conn.execute(select(articles))}


def test_raw_hostile_strings_never_fail_the_load(tmp_path: Path) -> None:
    """Records built by hand, as if an extractor had let everything through: the load must not fail."""
    hostile = f"nul\x00 \u202eRTL\u202c zero\u200bwidth <script>alert(1)</script> lone\ud800 {SQL} {EMOJI}"
    entry = FeedEntry(link="https://e.com/a", title=hostile, summary=hostile, author=hostile)
    article = Article(
        url="https://e.com/a",
        status=ExtractionStatus.OK,
        title=hostile + "x" * 10_000,
        author=hostile,
        site_name=hostile,
        text=f"{BODY}\n{hostile}\udfff",
        error=hostile,
    )
    harmless = Article(url="https://e.com/b", status=ExtractionStatus.OK, title=SQL, author=EMOJI, text=BODY)
    rows = load(
        tmp_path / "w.duckdb",
        [record("a", entry, article), record("b", FeedEntry(link="https://e.com/b", title=EMOJI), harmless)],
    )

    a, b = rows["a"], rows["b"]
    cleaned = hostile.replace("\ud800", "\ufffd")
    assert a["feed_title"] == cleaned and a["author"] == cleaned and a["error"] == cleaned
    assert a["title"] == cleaned + "x" * 10_000  # the load stores what it is given; capping is upstream
    assert a["text"] == f"{BODY}\n{cleaned}\ufffd"
    # the hash is of the text as stored, so it still identifies that text
    assert a["text_sha256"] == hashlib.sha256(str(a["text"]).encode()).hexdigest()
    assert (b["feed_title"], b["title"], b["author"]) == (EMOJI, SQL, EMOJI)  # verbatim


def test_hostile_feed_and_page_through_the_extractors_into_the_warehouse(tmp_path: Path) -> None:
    """The fixtures' hostile feed items and page, extracted for real, stored and read back."""
    feed = parse_feed(
        (FIXTURES / "feeds" / "hostile_text.xml").read_bytes(), url="https://hostile.example.com/"
    )
    broken = parse_feed(
        (FIXTURES / "feeds" / "invalid_references.xml").read_bytes(), url="https://wire.example.com/"
    )
    page = extract_article(
        (FIXTURES / "articles" / "hostile_text.html").read_bytes(),
        url="https://hostile.example.com/sql",
        content_type="text/html; charset=utf-8",
    )
    entries = [*feed.entries, *broken.entries]
    records = [record("page", entries[0], page)]
    records += [record(f"entry-{i}", entry, None) for i, entry in enumerate(entries[1:])]
    rows = load(tmp_path / "w.duckdb", records)

    assert len(rows) == len(records) == 5  # two hostile items, three from the broken feed
    for row in rows.values():
        for column in TEXT_COLUMNS:
            value = row[column]
            assert value is None or not CONTROL.search(str(value)), (column, value)
            assert value is None or "<script" not in str(value) or column == "text", (column, value)
        assert row["title"] is None or len(str(row["title"])) <= TITLE_MAX
    stored = rows["page"]
    assert (
        stored["feed_title"] == f"{SQL} 🇺🇸 👨\u200d👩\u200d👧 tarifs de̊ douane"
    )  # verbatim, joiners and all
    assert stored["title"] == "Tariffs rise again"
    assert "Robert'); DROP TABLE articles;--" in str(stored["text"])
    assert "🇺🇸 👍🏽 😀 and de\u0301cision" in str(stored["text"])
    assert {row["feed_title"] for row in rows.values()} >= {"Broken \ufffdtitle \ufffdhere"}
