"""extractors.http against a real HTTP server on 127.0.0.1 (pytest-httpserver); nothing leaves the machine.

The server is single-threaded: a handler that blocks is released by the test (an Event) so that it never
stalls the next test.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from extractors.http import FEED_ACCEPT, Fetcher, fetch_all, is_blocked_address, parse_retry_after
from extractors.http_settings import HttpSettings
from extractors.models import FetchOutcome, FetchResult, Validators

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
CAP = 4096


def settings(**overrides: Any) -> HttpSettings:
    """Fast settings that allow the local test server."""
    values: dict[str, Any] = {
        "timeout_s": 2.0,
        "retries": 2,
        "backoff_s": 0.01,
        "per_host_delay_s": 0.0,
        "max_retry_after_s": 5.0,
        "max_body_bytes": CAP,
        "allowed_private_hosts": ("127.0.0.1", "localhost"),
    }
    values.update(overrides)
    return HttpSettings(**values)


def fetch(config: HttpSettings, url: str, validators: Validators | None = None) -> FetchResult:
    [result] = fetch_all(config, [(url, validators)], accept=FEED_ACCEPT)
    return result


# --- pure functions ------------------------------------------------------------------------------------


NOW = datetime(2015, 10, 21, 7, 27, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 60.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),  # already past: retry now
        ("soon", None),
        ("-1", None),
        ("1.5", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",  # cloud metadata
        "0.0.0.0",
        "100.64.0.1",  # carrier-grade NAT
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fe80::1%2",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:db8::1",
    ],
)
def test_blocked_addresses(address: str) -> None:
    assert is_blocked_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]
)
def test_public_addresses(address: str) -> None:
    assert not is_blocked_address(ipaddress.ip_address(address))


# --- conditional GET -----------------------------------------------------------------------------------


def test_etag_round_trip(httpserver: HTTPServer) -> None:
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return Response(RSS, content_type="application/RSS+xml; charset=utf-8", headers={"ETag": '"v1"'})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    config = settings(user_agent="tw-test/1")

    first = fetch(config, httpserver.url_for("/feed"))
    assert first.outcome is FetchOutcome.OK
    assert first.status == 200
    assert first.body == RSS
    assert first.content_type == "application/rss+xml"
    assert first.validators == Validators(etag='"v1"')
    assert first.headers["etag"] == '"v1"'
    assert first.headers["content-type"] == "application/RSS+xml; charset=utf-8"
    assert first.final_url == httpserver.url_for("/feed")
    assert first.attempts == 1

    second = fetch(config, httpserver.url_for("/feed"), first.validators)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert second.status == 304
    assert second.body == b""
    assert second.validators == first.validators

    sent = [request for request, _ in httpserver.log]
    assert "If-None-Match" not in sent[0].headers
    assert sent[1].headers["If-None-Match"] == '"v1"'
    assert sent[0].headers["User-Agent"] == "tw-test/1"
    assert sent[0].headers["Accept"] == FEED_ACCEPT


def test_last_modified_round_trip(httpserver: HTTPServer) -> None:
    stamp = "Tue, 01 Apr 2025 10:00:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return Response(RSS, content_type="text/xml", headers={"Last-Modified": stamp})

    httpserver.expect_request("/feed").respond_with_handler(handler)
    first = fetch(settings(), httpserver.url_for("/feed"))
    assert first.outcome is FetchOutcome.OK
    assert first.validators == Validators(last_modified=stamp)
    assert first.headers["last-modified"] == stamp

    second = fetch(settings(), httpserver.url_for("/feed"), first.validators)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert second.validators == Validators(last_modified=stamp)
    assert httpserver.log[1][0].headers["If-Modified-Since"] == stamp


# --- retries -------------------------------------------------------------------------------------------


def test_server_error_then_success_is_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/flaky").respond_with_data("oops", status=500)
    httpserver.expect_request("/flaky").respond_with_data(RSS)
    result = fetch(settings(), httpserver.url_for("/flaky"))
    assert result.outcome is FetchOutcome.OK
    assert result.body == RSS
    assert result.attempts == 2
    assert result.error is None


def test_server_error_forever_gives_up_after_retries(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("oops", status=502)
    result = fetch(settings(retries=2), httpserver.url_for("/down"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.status == 502
    assert result.attempts == 3
    assert len(httpserver.log) == 3
    assert result.error == "HTTP 502"
    assert result.body == b""


def test_not_found_is_final(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    result = fetch(settings(retries=3), httpserver.url_for("/gone"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.status == 404
    assert result.attempts == 1
    assert len(httpserver.log) == 1


def test_retry_after_is_honoured(httpserver: HTTPServer) -> None:
    httpserver.expect_oneshot_request("/busy").respond_with_data("", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/busy").respond_with_data(RSS)
    result = fetch(settings(), httpserver.url_for("/busy"))
    assert result.outcome is FetchOutcome.OK
    assert result.attempts == 2
    assert result.elapsed_s >= 0.95


def test_retry_after_over_the_cap_gives_up_at_once(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/busy").respond_with_data("", status=503, headers={"Retry-After": "120"})
    result = fetch(settings(max_retry_after_s=5), httpserver.url_for("/busy"))
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.status == 503
    assert result.attempts == 1
    assert result.error is not None and "120 s" in result.error and "cap" in result.error
    assert result.elapsed_s < 1


def test_timeout(httpserver: HTTPServer) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(0.6)
        return Response(RSS)

    httpserver.expect_request("/slow").respond_with_handler(slow)
    try:
        result = fetch(settings(timeout_s=0.3, retries=0), httpserver.url_for("/slow"))
    finally:
        release.set()
    assert result.outcome is FetchOutcome.TIMEOUT
    assert result.attempts == 1
    assert result.error is not None and "timed out" in result.error
    assert result.elapsed_s >= 0.25


def test_connection_refused(httpserver: HTTPServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = fetch(settings(retries=1), f"http://127.0.0.1:{port}/feed")
    assert result.outcome is FetchOutcome.NETWORK_ERROR
    assert result.attempts == 2
    assert result.status is None
    assert result.error


# --- body cap ------------------------------------------------------------------------------------------


def test_declared_body_over_the_cap(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big").respond_with_data(b"x" * (CAP + 1))
    result = fetch(settings(), httpserver.url_for("/big"))
    assert result.outcome is FetchOutcome.TOO_LARGE
    assert result.body == b""
    assert result.error is not None and "Content-Length" in result.error


def test_body_exactly_at_the_cap_is_read(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/edge").respond_with_data(b"x" * CAP)
    result = fetch(settings(), httpserver.url_for("/edge"))
    assert result.outcome is FetchOutcome.OK
    assert len(result.body) == CAP


def test_streamed_body_over_the_cap_is_cut_short(httpserver: HTTPServer) -> None:
    """No Content-Length: the fetcher must stop reading once past the cap. The server sends 2x the cap,
    then stalls; a fetcher that read to the end would hit the read timeout instead of TOO_LARGE."""
    release = threading.Event()

    def stream() -> Iterator[bytes]:
        yield b"x" * CAP
        yield b"x" * CAP
        release.wait(2)
        yield b"x" * CAP

    httpserver.expect_request("/endless").respond_with_response(Response(stream(), content_type="text/html"))
    try:
        result = fetch(settings(timeout_s=1.0), httpserver.url_for("/endless"))
    finally:
        release.set()
    assert result.outcome is FetchOutcome.TOO_LARGE
    assert result.error is not None and "body over" in result.error
    assert result.body == b""


def test_compressed_body_is_capped_after_decoding(httpserver: HTTPServer) -> None:
    """A small gzip body that inflates past the cap (a zip bomb in miniature) is refused."""
    bomb = gzip.compress(b"\0" * (CAP * 50))
    assert len(bomb) < CAP
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    result = fetch(settings(), httpserver.url_for("/bomb"))
    assert result.outcome is FetchOutcome.TOO_LARGE
    assert result.error is not None and "body over" in result.error


# --- redirects -----------------------------------------------------------------------------------------


def test_redirects_are_followed(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/middle"})
    httpserver.expect_request("/middle").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data(RSS, content_type="application/atom+xml")
    result = fetch(settings(), httpserver.url_for("/old"))
    assert result.outcome is FetchOutcome.OK
    assert result.url == httpserver.url_for("/old")
    assert result.final_url == httpserver.url_for("/new")
    assert result.content_type == "application/atom+xml"
    assert result.body == RSS
    assert result.attempts == 1


def test_redirect_loop(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    httpserver.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    result = fetch(settings(max_redirects=3), httpserver.url_for("/a"))
    assert result.outcome is FetchOutcome.NETWORK_ERROR
    assert result.error is not None and "too many redirects" in result.error
    assert result.attempts == 1
    assert len(httpserver.log) == 4  # the first request and three redirects


# --- SSRF guard ----------------------------------------------------------------------------------------


def test_default_settings_refuse_the_local_server(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(RSS)
    port = httpserver.port
    urls = [httpserver.url_for("/feed"), f"http://127.0.0.1:{port}/feed", f"http://[::1]:{port}/feed"]
    for result in fetch_all(HttpSettings(), [(url, None) for url in urls]):
        assert result.outcome is FetchOutcome.BLOCKED, result
        assert result.error is not None and "non-public address" in result.error
        assert result.attempts == 1
    assert httpserver.log == []


@pytest.mark.parametrize("target", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"])
def test_redirect_to_a_private_address_is_refused(httpserver: HTTPServer, target: str) -> None:
    """Only 127.0.0.1 and localhost are allowed: the guard refuses the hop before any connection (a
    connection attempt would have ended in TIMEOUT or NETWORK_ERROR, not BLOCKED)."""
    httpserver.expect_request("/jump").respond_with_data("", status=302, headers={"Location": target})
    result = fetch(settings(timeout_s=0.5, retries=0), httpserver.url_for("/jump"))
    assert result.outcome is FetchOutcome.BLOCKED
    assert result.final_url == target
    assert result.error is not None and "non-public address" in result.error
    assert len(httpserver.log) == 1


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "ftp://example.com/feed.xml", "javascript:alert(1)", "gopher://x/", "http://"],
)
def test_other_schemes_and_bad_urls_are_refused(url: str) -> None:
    result = fetch(settings(), url)
    assert result.outcome is FetchOutcome.BLOCKED
    assert result.error


def test_redirect_to_file_scheme_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/jump").respond_with_data(
        "", status=301, headers={"Location": "file:///etc/hosts"}
    )
    result = fetch(settings(), httpserver.url_for("/jump"))
    assert result.outcome is FetchOutcome.BLOCKED
    assert result.body == b""
    assert result.error is not None and "scheme" in result.error


# --- many requests -------------------------------------------------------------------------------------


def test_fetch_many_keeps_order_and_reports_each(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/a").respond_with_data(b"A")
    httpserver.expect_request("/b").respond_with_data(b"B")
    httpserver.expect_request("/missing").respond_with_data("", status=404)
    urls = [httpserver.url_for("/a"), httpserver.url_for("/missing"), httpserver.url_for("/b"), "file:///x"]
    seen: list[FetchResult] = []
    results = fetch_all(settings(concurrency=1), [(url, None) for url in urls], seen.append)

    assert [r.url for r in results] == urls
    assert [r.outcome for r in results] == [
        FetchOutcome.OK,
        FetchOutcome.HTTP_ERROR,
        FetchOutcome.OK,
        FetchOutcome.BLOCKED,
    ]
    assert [r.body for r in results] == [b"A", b"", b"B", b""]
    assert len(seen) == len(urls)
    assert sorted(r.url for r in seen) == sorted(urls)
    assert seen[0].outcome is FetchOutcome.BLOCKED  # done first, reported first: callbacks follow completion


def test_per_host_delay(httpserver: HTTPServer) -> None:
    starts: list[float] = []

    def handler(request: Request) -> Response:
        starts.append(time.monotonic())
        return Response(b"ok")

    httpserver.expect_request("/p").respond_with_handler(handler)
    config = settings(per_host_delay_s=0.2)
    started = time.monotonic()
    results = fetch_all(config, [(httpserver.url_for("/p"), None)] * 3)
    assert all(r.outcome is FetchOutcome.OK for r in results)
    assert time.monotonic() - started >= 0.4
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 2
    # Seen from the server, so allow for its scheduling jitter; unspaced requests arrive ms apart.
    assert all(gap >= 0.1 for gap in gaps), gaps
    assert starts[-1] - starts[0] >= 0.35, gaps


def test_different_hosts_do_not_wait_for_each_other(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/p").respond_with_data(b"ok")
    port = httpserver.port
    urls = [f"http://localhost:{port}/p", f"http://127.0.0.1:{port}/p"]
    started = time.monotonic()
    results = fetch_all(settings(per_host_delay_s=2.0), [(url, None) for url in urls])
    assert [r.outcome for r in results] == [FetchOutcome.OK, FetchOutcome.OK]
    assert time.monotonic() - started < 1.5


def test_fetcher_in_a_running_loop(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/feed").respond_with_data(RSS)

    async def run() -> FetchResult:
        async with Fetcher(settings()) as fetcher:
            return await fetcher.fetch(httpserver.url_for("/feed"))

    result = asyncio.run(run())
    assert result.outcome is FetchOutcome.OK
    assert result.body == RSS


def test_fetch_all_from_a_worker_thread(httpserver: HTTPServer) -> None:
    """Prefect runs sync tasks in worker threads with no event loop: fetch_all must start its own."""
    httpserver.expect_request("/feed").respond_with_data(RSS)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(fetch, settings(), httpserver.url_for("/feed")) for _ in range(2)]
        results = [future.result(timeout=10) for future in futures]
    assert [r.outcome for r in results] == [FetchOutcome.OK, FetchOutcome.OK]
    assert all(r.body == RSS for r in results)
