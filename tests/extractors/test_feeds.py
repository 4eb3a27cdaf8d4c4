from __future__ import annotations

import dataclasses
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.feeds import GUID_MAX, LINK_MAX, SUMMARY_MAX, TITLE_MAX, parse_feed, repair_characters
from extractors.models import FeedEntry, ParsedFeed
from extractors.text import AUTHOR_MAX, CONTROL, plain_text

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora" / "feedparser-tests"
FEED_URL = "https://feeds.example.com/trade/feed.xml"
UNSAFE = re.compile(r"(?i)<script|<iframe|javascript:|onerror\s*=|onload\s*=")
TAG_LIKE = re.compile(r"<[A-Za-z/!?]")


def as_json(feed: ParsedFeed) -> dict[str, Any]:
    """ParsedFeed as the JSON stored in <name>.expected.json (datetimes in ISO 8601)."""

    def convert(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, list | tuple):
            return [convert(item) for item in value]
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        return value

    result: dict[str, Any] = convert(dataclasses.asdict(feed))
    return result


@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.xml")))
def test_fixture_feed(name: str) -> None:
    parsed = parse_feed((FIXTURES / f"{name}.xml").read_bytes(), url=FEED_URL)
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert as_json(parsed) == expected


def test_fixtures_cover_the_required_cases() -> None:
    names = {path.stem for path in FIXTURES.glob("*.xml")}
    assert {
        "rss2",
        "atom1",
        "malformed",
        "relative_links",
        "hostile_markup",
        "hostile_text",
        "invalid_references",
        "parser_raises",
    } <= names
    assert all((FIXTURES / f"{name}.expected.json").is_file() for name in names)


def test_malformed_feed_keeps_its_entries() -> None:
    parsed = parse_feed((FIXTURES / "malformed.xml").read_bytes(), url=FEED_URL)
    assert parsed.bozo
    assert parsed.bozo_reason and "mismatched tag" in parsed.bozo_reason
    assert [entry.title for entry in parsed.entries] == ["First story survives", "Second story survives too"]


def test_entries_without_usable_link_are_counted_not_fatal() -> None:
    parsed = parse_feed((FIXTURES / "relative_links.xml").read_bytes(), url=FEED_URL)
    assert parsed.skipped_entries == 2  # no link at all; a javascript: link
    assert all(entry.link.startswith("https://") for entry in parsed.entries)


def test_unparseable_links_are_skipped() -> None:
    body = (
        b'<rss version="2.0"><channel><item><title>t</title><link>http://[::1</link></item>'
        b"<item><link>https://ok.example/a</link></item><item><link>https://ok.example/\x01b</link></item>"
        b"</channel></rss>"
    )
    parsed = parse_feed(body, url=FEED_URL)
    assert [entry.link for entry in parsed.entries] == ["https://ok.example/a"]
    assert parsed.skipped_entries == 2


def test_charset_from_content_type_header() -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Zölle</title>'
        "<item><title>Café « crème »</title><link>https://example.com/a</link></item></channel></rss>"
    ).encode("windows-1252")
    parsed = parse_feed(
        body, url=FEED_URL, headers={"Content-Type": "application/rss+xml; charset=windows-1252"}
    )
    assert parsed.title == "Zölle"
    assert parsed.entries[0].title == "Café « crème »"


def test_utf8_is_the_default_without_headers() -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Zölle €</title></channel></rss>'
    ).encode()
    parsed = parse_feed(body, url=FEED_URL)
    assert parsed.title == "Zölle €"
    assert not parsed.bozo


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("https://mirror.example.net/feeds/rss.xml", "https://mirror.example.net/news/1"),
        ("/other/rss.xml", "https://feeds.example.com/news/1"),
        ("javascript:alert(1)", "https://feeds.example.com/news/1"),
    ],
    ids=["absolute", "relative", "unsafe"],
)
def test_relative_links_resolve_against_content_location(location: str, expected: str) -> None:
    body = b'<rss version="2.0"><channel><item><title>t</title><link>/news/1</link></item></channel></rss>'
    parsed = parse_feed(body, url=FEED_URL, headers={"Content-Location": location})
    assert [entry.link for entry in parsed.entries] == [expected]


def test_published_falls_back_to_updated_and_is_utc() -> None:
    parsed = parse_feed((FIXTURES / "atom1.xml").read_bytes(), url=FEED_URL)
    only_updated, both = parsed.entries
    assert only_updated.published_at == datetime(2024, 3, 6, 8, 15, tzinfo=UTC)
    assert both.published_at == datetime(2024, 3, 4, 18, 0, tzinfo=UTC)
    assert all(
        entry.published_at and entry.published_at.utcoffset() == timedelta(0) for entry in parsed.entries
    )


def test_lengths_are_capped() -> None:
    words = " ".join(["tariff"] * 1000)
    body = (
        f'<rss version="2.0"><channel><item><title>{words}</title><link>https://example.com/a</link>'
        f"<description>{words}</description></item></channel></rss>"
    ).encode()
    [entry] = parse_feed(body, url=FEED_URL).entries
    assert entry.title and len(entry.title) == TITLE_MAX and entry.title.endswith("…")
    assert entry.summary and len(entry.summary) <= SUMMARY_MAX and entry.summary.endswith("…")


@given(st.binary(max_size=400))
def test_parse_feed_never_raises_on_garbage(content: bytes) -> None:
    assert isinstance(parse_feed(content, url=FEED_URL), ParsedFeed)


# --- characters XML has not got: one of them used to make feedparser raise and lose the whole feed -------

BROKEN_ITEM = (
    '<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>Wire</title>'
    "<item><title>first</title><link>https://wire.example.com/1</link></item>"
    "<item><title>bad {bad} title</title><link>https://wire.example.com/2</link></item>"
    "<item><title>last</title><link>https://wire.example.com/3</link></item></channel></rss>"
)


def broken_feed(bad: str, encoding: str = "utf-8") -> bytes:
    return BROKEN_ITEM.format(encoding=encoding, bad=bad).encode(encoding, "surrogatepass")


@pytest.mark.parametrize(
    ("body", "title"),
    [
        (broken_feed("&#xD800;"), "bad \ufffd title"),
        (broken_feed("&#xdfff;"), "bad \ufffd title"),
        (broken_feed("&#55296;"), "bad \ufffd title"),
        (broken_feed("&#0;"), "bad \ufffd title"),
        (broken_feed("&#x0000;"), "bad \ufffd title"),
        (broken_feed("&#x110000;"), "bad \ufffd title"),
        (broken_feed("&#1114112;"), "bad \ufffd title"),
        (broken_feed("&#99999999999999999999;"), "bad \ufffd title"),
        (broken_feed("&#" + "9" * 5000 + ";"), "bad \ufffd title"),  # past int()'s 4,300-digit limit
        (broken_feed("&#xFFFE;"), "bad \ufffd title"),
        (broken_feed("&#x1;&#8;"), "bad title"),  # C0 controls: dropped, as plain_text would
        # the same reference in UTF-16 and UTF-32, with and without a byte order mark
        (broken_feed("&#xD800;", "utf-16"), "bad \ufffd title"),
        (broken_feed("&#xD800;", "utf-16-be"), "bad \ufffd title"),
        (broken_feed("&#55296;", "utf-32"), "bad \ufffd title"),
        # raw surrogates: a lone UTF-16 code unit, and a surrogate encoded as UTF-8 bytes (CESU-8)
        (broken_feed("\ud800", "utf-16"), "bad \ufffd title"),
        (broken_feed("é \udc00"), "bad é \ufffd title"),  # surrogatepass writes it as b"\xed\xb0\x80"
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_invalid_characters_keep_every_entry(body: bytes, title: str) -> None:
    parsed = parse_feed(body, url=FEED_URL)
    assert [entry.title for entry in parsed.entries] == ["first", title, "last"]
    assert not parsed.parse_failed
    assert parsed.bozo and parsed.bozo_reason  # the producer's feed is still broken, and we say so


def test_valid_references_are_left_alone() -> None:
    # the escaped reference is text to feedparser; plain_text reads it as an HTML parser would
    body = broken_feed("&#xE9;&#233;&#x1F600;&#9;&#x10FFFF;&amp;#xD800;")
    assert repair_characters(body) == (body, 0)
    assert parse_feed(body, url=FEED_URL).entries[1].title == "bad éé😀 \U0010ffff\ufffd title"


def test_iso_2022_documents_are_not_rewritten() -> None:
    """In ISO-2022-JP the bytes of "&#0;" can be two characters (Γ飴): rewriting them would garble it."""
    body = broken_feed("Γ飴", "iso-2022-jp")
    assert b"&#0;" in body
    assert repair_characters(body) == (body, 0)
    assert parse_feed(body, url=FEED_URL).entries[1].title == "bad Γ飴 title"


def test_a_parser_that_raises_is_a_failed_parse_not_an_empty_feed() -> None:
    failed = parse_feed((FIXTURES / "parser_raises.xml").read_bytes(), url=FEED_URL)
    assert failed.parse_failed and failed.entries == () and failed.bozo
    assert failed.bozo_reason and failed.bozo_reason.startswith("feedparser raised ")
    # a feed with no items at all is empty, not failed: the flow may keep its validators
    empty = parse_feed(b'<rss version="2.0"><channel><title>Quiet</title></channel></rss>', url=FEED_URL)
    assert empty.entries == () and not empty.parse_failed


# --- the feedparser test corpus: ill-formed, mis-encoded and hostile feeds ------------------------------


def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip(f"feedparser corpus not found at {CORPUS}")
    return sorted(CORPUS.rglob("*.xml"))


def corpus_headers(content: bytes) -> dict[str, str]:
    """The `Header: Name: value` lines of a corpus file's leading comment."""
    head = content[:2048].decode("latin-1")
    return {
        name: value for name, value in re.findall(r"^Header:\s*([\w-]+):\s*(.*?)\s*$", head, re.MULTILINE)
    }


def plain_fields(feed: ParsedFeed) -> list[tuple[object, int]]:
    """The fields under plain_text's contract, each with its cap."""
    values: list[tuple[object, int]] = [(feed.title, TITLE_MAX), (feed.bozo_reason, 200)]
    for entry in feed.entries:
        values += [(entry.title, TITLE_MAX), (entry.summary, SUMMARY_MAX), (entry.author, AUTHOR_MAX)]
    return values


def assert_plain(value: object, cap: int, where: object) -> None:
    if value is None:
        return
    assert type(value) is str, (where, value)
    assert 0 < len(value) <= cap, (where, value)
    assert value == " ".join(value.split()), (where, value)  # one line, no stray whitespace
    assert not CONTROL.search(value), (where, value)  # no controls, bidi overrides or lone surrogates
    assert not TAG_LIKE.search(value) and not UNSAFE.search(value), (where, value)


def test_corpus_sweep_never_raises_and_keeps_the_plain_text_contract() -> None:
    files = corpus_files()
    assert len(files) == 1103  # every document of the corpus, none skipped
    started = time.perf_counter()
    feeds = [
        parse_feed(path.read_bytes(), url=FEED_URL, headers=corpus_headers(path.read_bytes()))
        for path in files
    ]
    elapsed = time.perf_counter() - started

    raised = [
        (path.name, feed.bozo_reason) for path, feed in zip(files, feeds, strict=True) if feed.parse_failed
    ]
    assert raised == []  # parse_feed catches what feedparser raises; parse_failed says it did
    for path, feed in zip(files, feeds, strict=True):
        assert isinstance(feed, ParsedFeed), path
        assert all(isinstance(entry, FeedEntry) for entry in feed.entries), path
        for value, cap in plain_fields(feed):
            assert_plain(value, cap, path)
        assert feed.language is None or (type(feed.language) is str and not CONTROL.search(feed.language))
        for entry in feed.entries:
            assert entry.link.startswith(("http://", "https://")), (path, entry.link)
            assert len(entry.link) <= LINK_MAX and not CONTROL.search(entry.link), (path, entry.link)
            assert not any(char.isspace() for char in entry.link), (path, entry.link)
            assert entry.guid is None or (len(entry.guid) <= GUID_MAX and not CONTROL.search(entry.guid))
            assert entry.published_at is None or entry.published_at.utcoffset() == timedelta(0), path
    # the sweep must have exercised both outcomes, not skipped everything
    assert sum(len(feed.entries) for feed in feeds) > 0
    assert sum(feed.bozo for feed in feeds) > 0
    assert elapsed < 20, f"corpus sweep took {elapsed:.1f}s"


def test_corpus_markup_is_stripped_without_feedparser_sanitiser() -> None:
    """Most corpus entries have no link, so parse_feed drops them; run their raw, unsanitised strings
    through plain_text directly to show the stripping alone never keeps active markup."""
    checked = 0
    for path in corpus_files():
        parsed = feedparser.parse(
            io.BytesIO(path.read_bytes()),
            response_headers={"content-type": "application/xml", "content-location": FEED_URL},
            sanitize_html=False,
        )
        for entry in parsed.entries:
            for key in ("title", "summary", "author"):
                text = plain_text(entry.get(key), SUMMARY_MAX)
                checked += 1
                assert_plain(text, SUMMARY_MAX, (path, key, entry.get(key)))
    assert checked > 500
