"""The in-memory HTTP server behind the sample news and the benchmark, exercised over real sockets."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime

import httpx
import pytest

from flows.local_server import Page, etag_for, serve

HTML = "text/html; charset=utf-8"


def test_serves_body_type_length_and_validators() -> None:
    body = b"<p>Tariffs rise to 50%</p>"
    with serve({"/a.html": Page(body, HTML)}) as base:
        assert base.startswith("http://127.0.0.1:")
        response = httpx.get(f"{base}/a.html")
    assert response.status_code == 200
    assert response.content == body
    assert response.headers["content-type"] == HTML
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["etag"] == etag_for(body)
    assert not response.headers["etag"].startswith("W/")
    assert parsedate_to_datetime(response.headers["last-modified"]).year >= 2000


def test_etag_depends_on_body_only() -> None:
    assert etag_for(b"a") == etag_for(b"a")
    assert etag_for(b"a") != etag_for(b"b")


def test_unknown_path_is_404() -> None:
    with serve({"/a.html": Page(b"a", HTML)}) as base:
        response = httpx.get(f"{base}/missing.html")
    assert response.status_code == 404


def test_head_sends_headers_without_body() -> None:
    body = b"x" * 1000
    with serve({"/big": Page(body, "text/plain")}) as base:
        response = httpx.head(f"{base}/big")
    assert response.status_code == 200
    assert response.headers["content-length"] == "1000"
    assert response.content == b""


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_matching_if_none_match_gets_304(header: str) -> None:
    body = b"<rss/>"
    with serve({"/feed.xml": Page(body, "application/rss+xml")}) as base:
        first = httpx.get(f"{base}/feed.xml")
        again = httpx.get(
            f"{base}/feed.xml", headers={"If-None-Match": header.format(etag=first.headers["etag"])}
        )
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


def test_stale_if_none_match_gets_the_page() -> None:
    with serve({"/feed.xml": Page(b"new", "application/rss+xml")}) as base:
        response = httpx.get(f"{base}/feed.xml", headers={"If-None-Match": etag_for(b"old")})
    assert response.status_code == 200
    assert response.content == b"new"


def test_status_and_extra_headers_are_sent() -> None:
    page = Page(b"busy", "text/plain", status=503, headers={"Retry-After": "7"})
    with serve({"/busy": page}) as base:
        response = httpx.get(f"{base}/busy")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.content == b"busy"


def test_query_string_is_ignored_when_no_exact_match() -> None:
    with serve({"/a.html": Page(b"a", HTML), "/b?x=1": Page(b"b", HTML)}) as base:
        assert httpx.get(f"{base}/a.html?utm_source=rss").content == b"a"
        assert httpx.get(f"{base}/b?x=1").content == b"b"


def test_pages_added_after_start_are_served() -> None:
    pages: dict[str, Page] = {}
    with serve(pages) as base:
        pages["/late.html"] = Page(base.encode(), HTML)
        response = httpx.get(f"{base}/late.html")
    assert response.content == base.encode()


def test_survives_50_concurrent_requests() -> None:
    pages = {f"/p{i}.html": Page(f"<p>page {i}</p>".encode() * 200, HTML) for i in range(50)}

    def fetch(path: str) -> tuple[str, int, bytes]:
        # A client per request: 50 separate connections arriving at once.
        with httpx.Client(timeout=10) as client:
            response = client.get(base + path)
        return path, response.status_code, response.content

    with serve(pages) as base, ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(fetch, pages))
    assert len(results) == 50
    for path, status, content in results:
        assert status == 200
        assert content == pages[path].body


def test_shut_down_and_joined_when_the_body_raises() -> None:
    before = {t.ident for t in threading.enumerate()}
    with pytest.raises(RuntimeError, match="boom"), serve({"/a": Page(b"a", HTML)}) as base:
        assert httpx.get(f"{base}/a").status_code == 200
        raise RuntimeError("boom")
    leftovers = [t for t in threading.enumerate() if t.ident not in before and t.name == "local-news-server"]
    assert leftovers == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/a", timeout=2)
