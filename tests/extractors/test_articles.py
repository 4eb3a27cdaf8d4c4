from __future__ import annotations

import collections
import dataclasses
import gzip
import json
import pickle
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import extractors.articles
from extractors.articles import MIN_WORDS, extract_article
from extractors.models import Article, ExtractionStatus
from extractors.text import CONTROL, TITLE_MAX

FIXTURES = Path(__file__).parent / "fixtures" / "articles"
BENCHMARK = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "article-extraction-benchmark"
# Every fixture is served as UTF-8; no_date.html is really windows-1252 (declared only in its <meta>).
CONTENT_TYPE = "text/html; charset=utf-8"
FALLBACK_PUBLISHED = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
FALLBACK_LANGUAGE = "fr"

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)
PARAGRAPH = (
    "The commission confirmed on Tuesday that the new tariff schedule for imported steel and aluminium "
    "products will apply from the first of July, after member states approved the quota allocation. "
)


def as_json(article: Article) -> dict[str, Any]:
    """Article as the JSON stored in <name>.expected.json (datetimes in ISO 8601)."""
    data = dataclasses.asdict(article)
    data["status"] = str(article.status)
    data["published_at"] = article.published_at.isoformat() if article.published_at else None
    return data


def page(head: str = "", body: str = PARAGRAPH * 3, lang: str | None = "en") -> bytes:
    lang_attr = f' lang="{lang}"' if lang else ""
    return (
        f"<!DOCTYPE html><html{lang_attr}><head><meta charset='utf-8'><title>Steel tariffs</title>"
        f"{head}</head><body><article><p>{body}</p></article></body></html>"
    ).encode()


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.html")))
def test_fixture_page(name: str) -> None:
    article = extract_article(
        (FIXTURES / f"{name}.html").read_bytes(),
        url=f"https://news.example.com/{name}",
        content_type=CONTENT_TYPE,
        fallback_published_at=FALLBACK_PUBLISHED,
        fallback_language=FALLBACK_LANGUAGE,
    )
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert as_json(article) == expected


def test_fixtures_cover_the_required_cases() -> None:
    names = {path.stem for path in FIXTURES.glob("*.html")}
    assert {"news_page", "cookie_banner_only", "no_date", "hostile_text"} <= names
    assert all((FIXTURES / f"{name}.expected.json").is_file() for name in names)


def test_news_page_keeps_the_story_and_drops_the_boilerplate() -> None:
    article = extract_article(
        (FIXTURES / "news_page.html").read_bytes(), url="https://news.example.com/a", content_type="text/html"
    )
    assert article.status is ExtractionStatus.OK
    assert article.text and "safeguard duty" in article.text
    for boilerplate in (
        "cookies",
        "Related stories",
        "Aluminium quota talks",
        "All rights reserved",
        "Subscribe",
    ):
        assert boilerplate not in article.text
    # 23:30 at UTC-5 on the 5th is 04:30 UTC on the 6th
    assert article.published_at == datetime(2024, 3, 6, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        (PDF, "application/pdf", "not HTML: application/pdf"),
        (PDF, None, "not HTML: application/pdf (sniffed)"),
        (PDF, "text/html; charset=utf-8", "not HTML: application/pdf (sniffed)"),
        (PNG, None, "not HTML: image/png (sniffed)"),
        (PNG, "image/png", "not HTML: image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "application/octet-stream", "not HTML: image/jpeg (sniffed)"),
        (b"GIF89a\x01\x00\x01\x00", None, "not HTML: image/gif (sniffed)"),
        (b' \n{"articles": [{"title": "<p>x</p>"}]}', None, "not HTML: application/json (sniffed)"),
        (b"[1, 2, 3]", "application/json; charset=utf-8", "not HTML: application/json"),
        (b"plain words " * 50, "text/plain", "not HTML: text/plain"),
        (b"\x00\x01\x02binary", None, "not HTML: application/octet-stream (sniffed)"),
    ],
)
def test_not_html(body: bytes, content_type: str | None, error: str) -> None:
    article = extract_article(body, url="https://example.com/file", content_type=content_type)
    assert article == Article(url="https://example.com/file", status=ExtractionStatus.NOT_HTML, error=error)


@pytest.mark.parametrize(
    "content_type", [None, "text/html", "application/xhtml+xml", "TEXT/HTML; Charset=UTF-8"]
)
def test_html_content_types_are_extracted(content_type: str | None) -> None:
    article = extract_article(page(), url="https://example.com/a", content_type=content_type)
    assert article.status is ExtractionStatus.OK
    assert article.text and article.text.startswith("The commission confirmed")


def test_trafilatura_failure_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("tree exploded")

    monkeypatch.setattr(extractors.articles, "bare_extraction", broken)
    article = extract_article(page(), url="https://example.com/a", content_type="text/html")
    assert article.status is ExtractionStatus.FAILED
    assert article.error == "RuntimeError: tree exploded"


@pytest.mark.parametrize(
    "body", [b"", b"   \n", b"<html></html>", b"<html><body><nav>Home</nav></body></html>"]
)
def test_pages_without_body_are_empty(body: bytes) -> None:
    article = extract_article(body, url="https://example.com/a", content_type="text/html")
    assert article.status is ExtractionStatus.EMPTY
    assert article.text is None and article.error


def test_word_threshold() -> None:
    short = " ".join(["word"] * (MIN_WORDS - 1)) + "."
    long = " ".join(["word"] * MIN_WORDS) + "."
    assert extract_article(page(body=short), url="https://e.com/a", content_type=None).status == "empty"
    assert extract_article(page(body=long), url="https://e.com/a", content_type=None).status == "ok"


def test_unspaced_scripts_count_characters_as_words() -> None:
    japanese = "欧州委員会は火曜日、鉄鋼製品の輸入に対する新たな関税を七月から適用すると発表した。" * 2
    article = extract_article(page(body=japanese, lang="ja"), url="https://e.jp/a", content_type=None)
    assert article.status is ExtractionStatus.OK
    assert article.language == "ja"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # an explicit offset refines trafilatura's day to the minute
        (
            '<meta property="article:published_time" content="2024-03-05T10:15:00+01:00">',
            "2024-03-05T09:15:00+00:00",
        ),
        (
            '<script type="application/ld+json">'
            '{"@type": "NewsArticle", "datePublished": "2024-03-05T10:15:00Z"}</script>',
            "2024-03-05T10:15:00+00:00",
        ),
        # without an offset the time could be anywhere on Earth: the day alone, at midnight UTC
        (
            '<meta property="article:published_time" content="2024-03-05T10:15:00">',
            "2024-03-05T00:00:00+00:00",
        ),
        ('<meta name="date" content="2024-03-05">', "2024-03-05T00:00:00+00:00"),
        # nothing on the page: the caller's fallback
        ("", FALLBACK_PUBLISHED.isoformat()),
    ],
)
def test_published_at(head: str, expected: str) -> None:
    article = extract_article(
        page(head=head), url="https://e.com/a", content_type=None, fallback_published_at=FALLBACK_PUBLISHED
    )
    assert article.published_at and article.published_at.isoformat() == expected


def test_naive_fallback_date_is_taken_as_utc() -> None:
    article = extract_article(
        page(), url="https://e.com/a", content_type=None, fallback_published_at=datetime(2024, 3, 1, 12, 0)
    )
    assert article.published_at == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("pt-BR", "pt"),
        ("DE", "de"),
        ("en_US", "en"),
        ("", "fr"),
        (None, "fr"),
        ("x-klingon", "fr"),
        ("fil", "fr"),
    ],
)
def test_language_from_html_lang_else_fallback(lang: str | None, expected: str) -> None:
    article = extract_article(
        page(lang=lang), url="https://e.com/a", content_type=None, fallback_language="fr"
    )
    assert article.language == expected


@pytest.mark.parametrize(
    ("encoding", "content_type"),
    [
        ("iso-8859-1", "text/html; charset=iso-8859-1"),
        ("windows-1252", "text/html; charset=windows-1252"),
        ("utf-8", "text/html; charset=iso-8859-1"),  # mislabelled UTF-8 is still UTF-8
        ("shift_jis", 'text/html; charset="Shift_JIS"'),
        ("utf-16", None),  # with a byte order mark, which outranks any label
    ],
)
def test_encodings(encoding: str, content_type: str | None) -> None:
    text = (
        "Zölle auf Stahl: Brüssel erhöht die Sätze. " * 10 if encoding != "shift_jis" else "鉄鋼関税。" * 20
    )
    body = f"<html><head><title>t</title></head><body><article><p>{text}</p></article></body></html>"
    article = extract_article(body.encode(encoding), url="https://e.com/a", content_type=content_type)
    assert article.text == text.strip()


def test_text_whitespace_is_normalised_per_paragraph() -> None:
    messy = "  Second\u00a0\u00a0paragraph\t with   gaps\u200b and a bell\x07.  "
    body = f"{PARAGRAPH}</p>\n\n<p>{messy}</p><p>{PARAGRAPH}"
    article = extract_article(page(body=body), url="https://e.com/a", content_type=None)
    assert article.text == f"{PARAGRAPH.strip()}\nSecond paragraph with gaps and a bell.\n{PARAGRAPH.strip()}"


def test_page_metadata_is_plain_capped_text() -> None:
    """Titles reach alert messages: markup goes and 10,000 characters become TITLE_MAX."""
    head = (
        f"<meta property='og:title' content='{'Tariffs &lt;b&gt;up&lt;/b&gt; ' * 800}'>"
        "<meta name='author' content='Ed &lt;b&gt;Itor&lt;/b&gt; &#x202E;'>"
    )
    article = extract_article(page(head=head), url="https://e.com/a", content_type=None)
    assert article.title and len(article.title) == TITLE_MAX and article.title.endswith("…")
    assert article.title.startswith("Tariffs up Tariffs up") and "<" not in article.title
    assert article.author == "Ed Itor"


def test_body_text_never_keeps_lone_surrogates_or_controls() -> None:
    """Surrogates encoded as UTF-8 bytes (CESU-8) and raw controls in an otherwise UTF-8 page."""
    body = PARAGRAPH + "surrogates SURROGATES, a bell \x07, an override \u202e. " + PARAGRAPH
    raw = page(body=body).replace(b"SURROGATES", "\udc00 and \ud800".encode("utf-8", "surrogatepass"))
    article = extract_article(raw, url="https://e.com/a", content_type="text/html; charset=utf-8")
    assert article.status is ExtractionStatus.OK and article.text
    assert not CONTROL.search(article.text)
    # one U+FFFD per surrogate, and the rest of the page still read as UTF-8
    assert "surrogates \ufffd and \ufffd, a bell , an override ." in article.text


def test_extract_article_and_its_result_cross_process_boundaries() -> None:
    article = extract_article(page(), url="https://e.com/a", content_type=None)
    assert pickle.loads(pickle.dumps(extract_article)) is extract_article
    assert pickle.loads(pickle.dumps(article)) == article


# --- the article-extraction benchmark: 181 real news pages with hand-extracted bodies -------------------


def tokens(text: str) -> collections.Counter[str]:
    return collections.Counter(re.findall(r"\w+", text.lower()))


def token_f1(predicted: str, truth: str) -> float:
    predicted_tokens, truth_tokens = tokens(predicted), tokens(truth)
    common = sum((predicted_tokens & truth_tokens).values())
    if not common:
        return 0.0
    precision = common / sum(predicted_tokens.values())
    recall = common / sum(truth_tokens.values())
    return 2 * precision * recall / (precision + recall)


def test_token_f1() -> None:
    assert token_f1("a b c", "a b c") == 1.0
    assert token_f1("x y", "a b") == 0.0
    assert token_f1("a b", "a b c d") == pytest.approx(2 / 3)


def test_benchmark_mean_f1() -> None:
    """All 181 pages (about 5 s on one core; a page that regresses shows up in the mean)."""
    if not BENCHMARK.is_dir():
        pytest.skip(f"article-extraction benchmark not found at {BENCHMARK}")
    truth = json.loads((BENCHMARK / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {key: gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes()) for key in truth}

    started = time.perf_counter()
    articles = {
        key: extract_article(body, url=truth[key]["url"], content_type="text/html")
        for key, body in pages.items()
    }
    elapsed = time.perf_counter() - started

    scores = [token_f1(articles[key].text or "", truth[key]["articleBody"]) for key in truth]
    mean_f1 = sum(scores) / len(scores)
    statuses = collections.Counter(article.status for article in articles.values())
    print(f"benchmark: {len(pages)} pages in {elapsed:.1f}s, mean token F1 {mean_f1:.3f}, {dict(statuses)}")
    assert len(pages) == 181
    assert mean_f1 >= 0.90
    assert statuses[ExtractionStatus.FAILED] == 0
    assert statuses[ExtractionStatus.OK] >= 0.95 * len(pages)
    # metadata is found on nearly every real news page
    assert sum(bool(article.title) for article in articles.values()) >= 0.95 * len(pages)
    assert sum(bool(article.published_at) for article in articles.values()) >= 0.90 * len(pages)
    # a 10x margin over the measured time: catches a pathological slowdown, not a busy machine
    assert elapsed < 60, f"extraction took {elapsed:.1f}s"
