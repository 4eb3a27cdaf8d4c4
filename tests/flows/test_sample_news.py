"""The bundled sample news, rendered for a pinned day and served over a real local socket."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urldefrag

import feedparser
import httpx
import pytest

from flows.config import SourceConfig, load_settings
from flows.local_server import Page
from flows.sample_news import (
    SAMPLE_PORT,
    SAMPLES_DIR,
    render_sample,
    render_template,
    sample_sources,
    serve_sample,
)

TODAY = date(2026, 11, 24)
REPO = Path(__file__).resolve().parents[2]
PUBLISHED = re.compile(r'<meta property="article:published_time" content="([^"]+)"')
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, tuple[SourceConfig, ...]]]:
    with serve_sample(TODAY) as (base_url, sources):
        yield base_url, sources


@pytest.fixture(scope="module")
def feeds(served: tuple[str, tuple[SourceConfig, ...]]) -> dict[str, feedparser.FeedParserDict]:
    _, sources = served
    parsed = {}
    for source in sources:
        response = httpx.get(str(source.feed_url))
        assert response.status_code == 200
        parsed[source.name] = feedparser.parse(response.content)
    return parsed


@pytest.fixture(scope="module")
def entry_links(feeds: dict[str, feedparser.FeedParserDict]) -> list[str]:
    return [entry.link for feed in feeds.values() for entry in feed.entries]


def test_sources_point_at_the_server(served: tuple[str, tuple[SourceConfig, ...]]) -> None:
    base_url, sources = served
    assert len(sources) == 3
    assert len({s.name for s in sources}) == 3
    assert all(str(s.feed_url).startswith(base_url + "/") for s in sources)
    assert all(s.language == "en" and s.country and s.enabled for s in sources)


def test_every_feed_parses_with_ten_entries_or_more(feeds: dict[str, feedparser.FeedParserDict]) -> None:
    assert sorted(f.version for f in feeds.values()) == ["atom10", "rss20", "rss20"]
    for name, feed in feeds.items():
        assert not feed.bozo, (name, feed.get("bozo_exception"))
        assert len(feed.entries) >= 10, name
        assert all(entry.title and entry.summary for entry in feed.entries), name


def test_at_least_32_distinct_articles(entry_links: list[str]) -> None:
    assert len(set(entry_links)) == len(entry_links) >= 32


def test_every_entry_link_is_served_as_html(entry_links: list[str]) -> None:
    with httpx.Client() as client:
        for link in entry_links:
            response = client.get(link)
            assert response.status_code == 200, link
            assert response.headers["content-type"].startswith("text/html"), link
            assert b'<html lang="en"' in response.content, link


def test_entry_dates_lie_in_the_past_week(
    feeds: dict[str, feedparser.FeedParserDict], entry_links: list[str]
) -> None:
    days = {entry.link: date(*entry.published_parsed[:3]) for f in feeds.values() for entry in f.entries}
    assert all(TODAY - timedelta(days=6) <= day <= TODAY for day in days.values()), days
    assert {TODAY - timedelta(days=6), TODAY} <= set(days.values())
    # The page's own publication time agrees with its feed entry.
    with httpx.Client() as client:
        for link in entry_links:
            match = PUBLISHED.search(client.get(link).text)
            assert match, link
            published = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
            assert published.date() == days[link], link


def test_no_token_is_left_and_every_internal_link_resolves() -> None:
    base_url = "http://127.0.0.1:8123"
    pages = render_sample(TODAY, base_url)
    for path, page in pages.items():
        text = page.body.decode("utf-8")
        assert "{{" not in text and "}}" not in text, path
        for href in HREF.findall(text):
            if href.startswith(base_url):
                target = urldefrag(href).url.removeprefix(base_url)
                assert target in pages, f"{path} links to missing {target}"


def test_content_types_follow_the_kind_of_file() -> None:
    pages = render_sample(TODAY, "http://127.0.0.1:1")
    assert pages["/wire/rss.xml"].content_type.startswith("application/rss+xml")
    assert pages["/analysis/atom.xml"].content_type.startswith("application/atom+xml")
    assert pages["/robots.txt"].content_type.startswith("text/plain")
    assert pages["/wire/"] == pages["/wire/index.html"]


def test_rendering_is_deterministic_and_follows_today() -> None:
    first = render_sample(TODAY, "http://127.0.0.1:1")
    assert first == render_sample(TODAY, "http://127.0.0.1:1")
    later = render_sample(TODAY + timedelta(days=40), "http://127.0.0.1:1")
    assert first.keys() == later.keys()
    assert first["/wire/rss.xml"] != later["/wire/rss.xml"]


def test_every_article_is_listed_in_the_answers() -> None:
    answers = (SAMPLES_DIR / "ANSWERS.md").read_text(encoding="utf-8")
    site = SAMPLES_DIR / "site"
    articles = [*site.glob("wire/news/*.html"), *site.glob("ministry/news/*.html")]
    articles += [p for p in site.glob("analysis/*.html") if p.name not in ("index.html", "legal.html")]
    assert len(articles) >= 32
    for article in articles:
        assert f"`{article.relative_to(site).as_posix()}`" in answers, article


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{date:0:rfc822}}", "Tue, 24 Nov 2026 09:00:00 +0000"),
        ("{{date:-3:rfc822:09:30}}", "Sat, 21 Nov 2026 09:30:00 +0000"),
        ("{{date:0:iso}}", "2026-11-24"),
        ("{{date:+1:isotime:23:05}}", "2026-11-25T23:05:00Z"),
        ("{{date:0:long}}", "November 24, 2026"),
        ("{{date:+12:month_day}}", "December 6"),
        ("{{date:+38:day_month}}", "1 January"),
        ("{{date:+38:long}}", "January 1, 2027"),
        ("see {{ base_url }}/a and {{base_url}}/b", "see http://h:1/a and http://h:1/b"),
    ],
)
def test_tokens(template: str, expected: str) -> None:
    assert render_template(template, TODAY, "http://h:1/", "t.html") == expected


@pytest.mark.parametrize(
    "template",
    [
        "{{title}}",
        "{{date:+3:weekday}}",
        "{{date:soon:iso}}",
        "{{date:+1:long:09:00}}",
        "{{date:+1:isotime:25:00}}",
        "{{date:+1:isotime:9}}",
        "{{date}}",
        "unclosed {{base_url",
    ],
)
def test_unknown_or_malformed_token_raises_naming_the_file(template: str) -> None:
    with pytest.raises(ValueError, match=r"broken\.html"):
        render_template(template, TODAY, "http://h:1", "broken.html")


def test_render_sample_names_the_bad_file(tmp_path: Path) -> None:
    (tmp_path / "site" / "wire").mkdir(parents=True)
    (tmp_path / "site" / "wire" / "bad.html").write_text("<p>{{date:+1:fortnight}}</p>", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.html"):
        render_sample(TODAY, "http://h:1", samples_dir=tmp_path)


def test_render_sample_of_a_custom_folder(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<a href='{{base_url}}/'>{{date:-1:iso}}</a>", "utf-8")
    pages = render_sample(TODAY, "http://h:1", samples_dir=tmp_path)
    assert (
        pages["/"]
        == pages["/index.html"]
        == Page(b"<a href='http://h:1/'>2026-11-23</a>", "text/html; charset=utf-8")
    )


def test_sample_sources_join_paths_to_the_base_url() -> None:
    sources = sample_sources("http://127.0.0.1:5000/")
    assert [str(s.feed_url) for s in sources] == [
        "http://127.0.0.1:5000/wire/rss.xml",
        "http://127.0.0.1:5000/ministry/news/rss.xml",
        "http://127.0.0.1:5000/analysis/atom.xml",
    ]


def test_real_sources_config_loads_with_ten_enabled_sources() -> None:
    settings = load_settings(REPO / "config" / "real-sources.toml")
    assert settings.sample is False
    assert len(settings.enabled_sources) >= 10
    assert all(str(s.feed_url).startswith("https://") for s in settings.sources)


def test_the_sample_keeps_its_port_and_falls_back_when_it_is_taken(
    served: tuple[str, tuple[SourceConfig, ...]], caplog: pytest.LogCaptureFixture
) -> None:
    assert served[0] == f"http://127.0.0.1:{SAMPLE_PORT}"
    # The module's server holds SAMPLE_PORT: a second sample must still be served, on another port.
    with serve_sample(TODAY) as (base, sources):
        assert base != served[0]
        assert str(sources[0].feed_url).startswith(base)
    assert f"port {SAMPLE_PORT} is taken" in caplog.text
