"""extractors.http against hostile servers (tests/extractors/fault_server.py), all in one `fetch_all` call.

Every fault is fetched at once, beside well-behaved URLs, so each case proves two things: it ends the way
it should (outcome, error text, within the deadline), and it does not stop the other fetches of the call
from completing. One call also keeps the file fast: it lasts about one deadline, not the sum of them.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from extractors.http import fetch_all
from extractors.http_settings import HttpSettings
from extractors.models import FetchOutcome, FetchResult
from tests.extractors.fault_server import (
    BIG,
    CAFE_LATIN1,
    CAFE_UTF8,
    HOST,
    OK_BODY,
    PDF,
    REBIND_HOST,
    FakeDNS,
    FaultServer,
)

CAP = 1024 * 1024
DEADLINE = 2.5
# Per read. Longer than the drip's one second between bytes, so only the deadline can stop the drip; four
# silent tries would take 6 s without it.
TIMEOUT = 1.5
SLACK = 1.0  # scheduling on a loaded 2-core runner; the deadline itself is not what is being timed
SETTINGS = HttpSettings(
    timeout_s=TIMEOUT,
    deadline_s=DEADLINE,
    retries=3,
    backoff_s=0.01,
    max_retry_after_s=5.0,
    max_body_bytes=CAP,
    max_redirects=3,
    per_host_delay_s=0.0,
    concurrency=64,  # above the number of URLs: nothing queues, so elapsed_s is the fetch's own time
    allowed_private_hosts=(HOST,),  # the fault server by name only; 127.0.0.1 itself stays refused
)
CONTROLS = ("/ok", "/encoding/gzip", "/encoding/raw-deflate")


@dataclass(frozen=True)
class Run:
    results: dict[str, FetchResult]
    server: FaultServer
    dns: FakeDNS
    refused_port: int


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    with FaultServer() as server:
        urls = {path: server.url(path) for path in (*CONTROLS, *FAULTS)}
        refused_port = _closed_port()
        urls["refused"] = f"http://{HOST}:{refused_port}/feed"
        urls["rebinding"] = server.url("/secret/rebind", host=REBIND_HOST)
        dns = FakeDNS()
        fetched = fetch_all(SETTINGS, [(url, None) for url in urls.values()], resolver=dns)
        yield Run(dict(zip(urls, fetched, strict=True)), server, dns, refused_port)


FAULTS = (
    "/silent",
    "/drip",
    "/status/500-then-ok",
    "/status/502-then-ok",
    "/status/503-then-ok",
    "/status/429-retry-after-seconds",
    "/status/429-retry-after-date",
    "/status/404",
    "/status/410",
    "/reset-mid-body",
    "/short-body",
    "/charset/latin1-labelled-utf8",
    "/charset/utf8-labelled-latin1",
    "/big/declared",
    "/big/chunked",
    "/bomb/streamed",
    "/bomb/burst",
    "/encoding/br",
    "/redirect/loop",
    "/redirect/loopback",
    "/redirect/metadata",
    "/pdf",
    "/empty",
)


def check(run: Run, case: str, outcome: FetchOutcome, error: str | None = None, **fields: Any) -> FetchResult:
    """The case ended as `outcome` with `error` in its error text, within the deadline, and the
    well-behaved fetches of the same call completed."""
    result = run.results[case]
    assert result.outcome is outcome, result
    if error is None:
        assert result.error is None, result
    else:
        assert result.error is not None and error in result.error, result
    for name, value in fields.items():
        assert getattr(result, name) == value, (name, result)
    assert result.elapsed_s < DEADLINE + SLACK, result
    for control in CONTROLS:
        assert run.results[control].outcome is FetchOutcome.OK, run.results[control]
        assert run.results[control].body == OK_BODY
    return result


# --- the network --------------------------------------------------------------------------------------


def test_connection_refused(run: Run) -> None:
    error = f"ConnectError: cannot connect to 127.0.0.1 port {run.refused_port}: Connection refused"
    check(run, "refused", FetchOutcome.NETWORK_ERROR, error, attempts=4, status=None)


def test_silent_server_ends_at_the_deadline(run: Run) -> None:
    """Accepted, never answered: one per-read timeout, then the deadline stops the second try."""
    result = check(run, "/silent", FetchOutcome.TIMEOUT, "2.5 s deadline, stopped waiting for the response")
    assert result.error is not None and "try 1: timed out (ReadTimeout)" in result.error
    assert result.attempts == 2
    assert result.elapsed_s >= DEADLINE - 0.1


def test_drip_ends_at_the_deadline(run: Run) -> None:
    result = check(run, "/drip", FetchOutcome.TIMEOUT, "2.5 s deadline, stopped reading the body")
    assert result.attempts == 1  # a byte a second never trips the 1.5 s read timeout
    assert result.elapsed_s >= DEADLINE - 0.1
    assert result.body == b""


def test_connection_reset_mid_body(run: Run) -> None:
    result = check(
        run,
        "/reset-mid-body",
        FetchOutcome.NETWORK_ERROR,
        "Connection reset by peer",
        attempts=4,
    )
    assert result.body == b""
    assert run.server.hits["/reset-mid-body"] == 4


def test_body_short_of_its_content_length(run: Run) -> None:
    result = check(run, "/short-body", FetchOutcome.NETWORK_ERROR, "RemoteProtocolError", attempts=4)
    assert result.error is not None and "received 100 bytes, expected 1000" in result.error
    assert result.body == b""


# --- statuses -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_then_success(run: Run, status: int) -> None:
    result = check(run, f"/status/{status}-then-ok", FetchOutcome.OK, attempts=2, status=200)
    assert result.body == OK_BODY


def test_429_with_retry_after_in_seconds(run: Run) -> None:
    result = check(run, "/status/429-retry-after-seconds", FetchOutcome.OK, attempts=2, body=OK_BODY)
    assert result.elapsed_s >= 0.95  # it waited the second it was asked to


def test_429_with_retry_after_as_a_date(run: Run) -> None:
    result = check(run, "/status/429-retry-after-date", FetchOutcome.OK, attempts=2, body=OK_BODY)
    assert result.elapsed_s >= 0.95  # the date was 1 to 2 s ahead


@pytest.mark.parametrize("status", [404, 410])
def test_client_errors_are_final(run: Run, status: int) -> None:
    check(run, f"/status/{status}", FetchOutcome.HTTP_ERROR, f"HTTP {status}", attempts=1, status=status)
    assert run.server.hits[f"/status/{status}"] == 1


# --- bodies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "sent"),
    [("/charset/latin1-labelled-utf8", CAFE_LATIN1), ("/charset/utf8-labelled-latin1", CAFE_UTF8)],
)
def test_wrong_charset_label_leaves_the_bytes_intact(run: Run, case: str, sent: bytes) -> None:
    """Decoding text is the extractor's job: the fetcher hands over the bytes exactly as sent."""
    check(run, case, FetchOutcome.OK, body=sent, content_type="text/html")


def test_50_mb_declared_is_refused_before_reading(run: Run) -> None:
    check(run, "/big/declared", FetchOutcome.TOO_LARGE, f"Content-Length {BIG} over the {CAP} byte cap")
    assert run.server.sent["/big/declared"] < BIG  # it hung up instead of draining 50 MB


def test_50_mb_streamed_is_cut_at_the_cap(run: Run) -> None:
    result = check(run, "/big/chunked", FetchOutcome.TOO_LARGE, f"body over the {CAP} byte cap")
    assert result.body == b""
    assert run.server.sent["/big/chunked"] < BIG


@pytest.mark.parametrize("case", ["/bomb/streamed", "/bomb/burst"])
def test_gzip_bomb_is_refused(run: Run, case: str) -> None:
    """32 MiB of zeros in 32 KB of gzip, over a 1 MiB cap; memory is measured by bench/fetch_bomb.py."""
    result = check(run, case, FetchOutcome.TOO_LARGE, f"body over the {CAP} byte cap", attempts=1)
    assert result.body == b""


def test_undecodable_content_encoding(run: Run) -> None:
    check(
        run, "/encoding/br", FetchOutcome.NETWORK_ERROR, "Content-Encoding 'br' is not supported", attempts=1
    )


def test_pdf_arrives_as_bytes_with_its_type(run: Run) -> None:
    check(run, "/pdf", FetchOutcome.OK, body=PDF, content_type="application/pdf")


def test_empty_200(run: Run) -> None:
    check(run, "/empty", FetchOutcome.OK, body=b"", status=200)


# --- redirects and the SSRF guard ---------------------------------------------------------------------


def test_redirect_loop(run: Run) -> None:
    check(run, "/redirect/loop", FetchOutcome.NETWORK_ERROR, "too many redirects (more than 3)", attempts=1)
    assert run.server.hits["/redirect/loop"] == 4


def test_redirect_to_loopback_is_blocked(run: Run) -> None:
    result = check(run, "/redirect/loopback", FetchOutcome.BLOCKED, "127.0.0.1 resolves to non-public")
    assert result.final_url == f"http://127.0.0.1:{run.server.port}/secret/loopback"
    assert run.server.hits["/secret/loopback"] == 0


def test_redirect_to_cloud_metadata_is_blocked(run: Run) -> None:
    result = check(run, "/redirect/metadata", FetchOutcome.BLOCKED, "non-public address 169.254.169.254")
    assert result.final_url == "http://169.254.169.254/latest/meta-data/"


def test_dns_rebinding_is_blocked(run: Run) -> None:
    """The early check sees the public address; the connection's own lookup gets 127.0.0.1 and is refused
    there, so nothing reaches the server. (Before, httpx's second lookup connected to 127.0.0.1.)"""
    result = check(
        run, "rebinding", FetchOutcome.BLOCKED, f"{REBIND_HOST} resolves to non-public address 127.0.0.1"
    )
    assert result.attempts == 1
    assert run.dns.calls[REBIND_HOST] == 2  # the guard's lookup, then the connection's
    assert run.server.hits["/secret/rebind"] == 0


def test_proxy_environment_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would connect on our behalf, past the guard: HTTP_PROXY and friends must not be used."""
    with FaultServer(bomb_size=0) as server, FaultServer(bomb_size=0) as proxy:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")
        [result] = fetch_all(SETTINGS, [(server.url("/ok"), None)], resolver=FakeDNS())
    assert result.outcome is FetchOutcome.OK, result
    assert server.hits["/ok"] == 1
    assert sum(proxy.hits.values()) == 0
