"""The only module that touches the network: polite, bounded, SSRF-guarded HTTP GETs.

Network and HTTP problems never raise: every fetch ends in a `FetchResult` whose `outcome` says what
happened. Redirects are followed here rather than by httpx so that the SSRF guard sees every hop.

Hostile servers are bounded three ways: a deadline per URL (`deadline_s`, retries and redirects included)
on top of the per-read `timeout_s`; connections made only to an address the guard has just checked (no
second DNS lookup for a rebinding server to answer differently); and bodies decompressed here, in steps of
at most `_STEP` bytes, so a gzip bomb costs the cap and one step of memory, not the whole inflated chunk.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import ipaddress
import os
import random
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpcore
import httpx

from extractors.content_encoding import ACCEPT_ENCODING, BodyDecoder, DecodingError
from extractors.http_settings import HttpSettings
from extractors.models import FetchOutcome, FetchResult, Validators

DEFAULT_ACCEPT = "*/*"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"
)
ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_KEPT_HEADERS = ("content-type", "content-location", "content-language", "etag", "last-modified")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def is_blocked_address(address: IPAddress) -> bool:
    """True for any address a fetch of a public URL must never reach: private, loopback, link-local,
    multicast, reserved, unspecified, or not globally routable (e.g. 100.64/10, documentation ranges)."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that only wrap an IPv4 address are judged by it: IPv4-mapped, and NAT64, which is how
        # every public site looks on an IPv6-only network with DNS64 (::/8 would otherwise be "reserved").
        if address.ipv4_mapped is not None:
            return is_blocked_address(address.ipv4_mapped)
        if address in _NAT64:
            return is_blocked_address(ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF))
        if address.sixtofour is not None and is_blocked_address(address.sixtofour):
            return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent or invalid."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; -0000 parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


Resolver = Callable[[str, int], Awaitable[Sequence[IPAddress]]]
"""A name and port to the addresses to try, in order. Injectable so tests can play a hostile DNS server."""


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The addresses getaddrinfo gives for `host`, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in infos))


class _Refused(Exception):
    """The guard refused the address a connection was about to use. Deliberately not an httpcore error:
    httpx passes unknown exceptions through unchanged, so `Fetcher._get` can tell it from a network
    failure and report BLOCKED."""


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Every TCP connection resolves the name, checks every address and connects to a checked one.

    This is the SSRF guard that counts: an address checked in one lookup and connected to after another
    is how DNS rebinding slips a private address past a guard. It sits under httpx rather than rewriting
    URLs to IPs because TLS then still verifies, and sends SNI for, the real host name, the connection
    pool stays keyed by host (two sites behind one CDN address never share a TLS connection), and
    `final_url`, Host and redirects keep the name the feed gave."""

    def __init__(self, resolver: Resolver, allowed: frozenset[str]) -> None:
        self._resolver = resolver
        self._allowed = allowed
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = list(await self._resolver(host, port))
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no DNS answer for {host} within {timeout:g} s") from None
        except OSError as exc:  # socket.gaierror
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        if host.lower() not in self._allowed:
            for address in addresses:
                if is_blocked_address(address):
                    raise _Refused(f"{host} resolves to non-public address {address}")

        async def connect(address: IPAddress) -> httpcore.AsyncNetworkStream:
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except httpcore.ConnectError as exc:
                # anyio says only "All connection attempts failed"; the errno below it says why.
                raise httpcore.ConnectError(
                    f"cannot connect to {address} port {port}: {_errno(exc)}"
                ) from exc

        for address in addresses[:-1]:  # like getaddrinfo users: the next address if one is unreachable
            with contextlib.suppress(httpcore.ConnectError, httpcore.ConnectTimeout):
                return await connect(address)
        return await connect(addresses[-1])


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (its exception mapping and response streams) over a pool whose every
    connection goes through `_GuardedBackend`.

    httpx (0.28, 0.29) takes no network backend, so this sets the one attribute its `__init__` sets, the
    httpcore pool, to the pool it would build plus our backend; super().__init__ is skipped because it
    would only build a pool and an SSL context to throw away. If httpx renames `_pool`, the DNS rebinding
    test in tests/extractors/test_http_faults.py fails."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),  # still honours SSL_CERT_FILE, as httpx does
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One try of a URL (all its redirect hops): the result, and whether another try could help."""

    result: FetchResult
    retryable: bool = False
    retry_after: float | None = None


@dataclass(slots=True)
class _Progress:
    """Where one fetch has got to: the deadline starts at its first request, and if it passes mid-way the
    error says where the time went (a drip reads as "reading the body, 3 bytes in")."""

    deadline: asyncio.Timeout
    final_url: str
    attempts: int = 0
    doing: str = "waiting for the response"
    received: int = 0
    last_error: str | None = None

    def start_clock(self, seconds: float) -> None:
        """Start the deadline if it has not started: queueing for the first slot is not the URL's fault,
        and counting it would time out the back of a 2,000-URL batch before it sent anything."""
        if self.deadline.when() is None:
            self.deadline.reschedule(asyncio.get_running_loop().time() + seconds)

    def time_left(self) -> float | None:
        when = self.deadline.when()
        return None if when is None else when - asyncio.get_running_loop().time()

    def overdue(self, seconds: float) -> str:
        where = f"{self.doing}, {self.received} bytes in" if self.doing == "reading the body" else self.doing
        error = f"no complete response within the {seconds:g} s deadline, stopped {where}"
        error = f"{error} (try {self.attempts})"
        return f"{error}; try {self.attempts - 1}: {self.last_error}" if self.last_error else error


class Fetcher:
    """Async HTTP fetcher: bounded concurrency, per-host politeness delay, retries, a deadline per URL,
    body cap with bounded decompression, SSRF guard. `resolver` answers DNS for both the guard's early
    check and the connection itself (default: the system's getaddrinfo)."""

    def __init__(
        self, settings: HttpSettings, *, accept: str = DEFAULT_ACCEPT, resolver: Resolver = system_resolver
    ) -> None:
        self._settings = settings
        self._accept = accept
        self._resolver = resolver
        self._allowed = frozenset(h.lower() for h in settings.allowed_private_hosts)
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._host_last_start: dict[str, float] = {}

    async def __aenter__(self) -> Fetcher:
        # The semaphore already bounds requests in flight; a smaller pool would only add pool timeouts.
        limits = httpx.Limits(max_connections=self._settings.concurrency)
        self._client = httpx.AsyncClient(
            transport=_PinnedTransport(_GuardedBackend(self._resolver, self._allowed), limits),
            timeout=self._settings.timeout_s,
            headers={
                "User-Agent": self._settings.user_agent,
                "Accept": self._accept,
                "Accept-Encoding": ACCEPT_ENCODING,  # only what BodyDecoder can inflate in bounded steps
            },
            follow_redirects=False,
            # A proxy from HTTP(S)_PROXY would make the connections for us, to addresses the guard never saw.
            trust_env=False,
        )
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            raise RuntimeError("Fetcher used outside `async with`")
        return self._client

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        """GET `url`, retrying transient failures, within `deadline_s`; conditional when `validators` are
        given."""
        started = time.monotonic()
        progress = _Progress(asyncio.timeout(None), url)
        try:
            async with progress.deadline:
                result = await self._with_retries(url, validators, progress)
        except TimeoutError:
            if not progress.deadline.expired():
                raise
            error = progress.overdue(self._settings.deadline_s)
            result = FetchResult(url, FetchOutcome.TIMEOUT, progress.final_url, error=error)
        elapsed = time.monotonic() - started
        return replace(result, elapsed_s=elapsed, attempts=progress.attempts)

    async def _with_retries(
        self, url: str, validators: Validators | None, progress: _Progress
    ) -> FetchResult:
        settings = self._settings
        while True:
            progress.attempts += 1
            attempt = await self._try_once(url, validators, progress)
            result, tries = attempt.result, progress.attempts
            if not attempt.retryable or tries > settings.retries:
                return result
            delay = settings.backoff_s * 2 ** (tries - 1) * (1 + 0.25 * random.random())
            if attempt.retry_after is not None:
                if attempt.retry_after > settings.max_retry_after_s:
                    error = (
                        f"{result.error}; server asked to retry after {attempt.retry_after:.0f} s, "
                        f"over the {settings.max_retry_after_s:g} s cap"
                    )
                    return replace(result, error=error)
                delay = max(delay, attempt.retry_after)
            left = progress.time_left()
            if left is not None and delay >= left:
                # Sleeping into the deadline would only swap this answer for a vaguer TIMEOUT.
                deadline = settings.deadline_s
                error = f"{result.error}; no time for try {tries + 1} within the {deadline:g} s deadline"
                return replace(result, error=error)
            progress.last_error = result.error
            progress.doing = "waiting to retry"
            await asyncio.sleep(delay)

    async def fetch_many(
        self,
        requests: Sequence[tuple[str, Validators | None]],
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Fetch all concurrently; results in the order of `requests`, `on_result` called as each ends."""

        async def one(url: str, validators: Validators | None) -> FetchResult:
            result = await self.fetch(url, validators)
            if on_result is not None:
                on_result(result)
            return result

        tasks = [asyncio.ensure_future(one(url, validators)) for url, validators in requests]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # A failing callback (or cancellation) must not leave the other fetches running.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _try_once(self, url: str, validators: Validators | None, progress: _Progress) -> _Attempt:
        """One try: follow redirects by hand, checking every hop with the SSRF guard."""
        headers: dict[str, str] = {}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        try:
            current = httpx.URL(url)
        except httpx.InvalidURL as exc:
            return _Attempt(FetchResult(url, FetchOutcome.BLOCKED, error=f"invalid URL: {exc}"))
        for _hop in range(self._settings.max_redirects + 1):
            progress.final_url = str(current)
            refusal = await self._guard(url, current)
            if refusal is not None:
                return refusal
            attempt, location = await self._get(url, current, headers, validators, progress)
            if location is None:
                return attempt
            try:
                current = current.join(location)
            except httpx.InvalidURL as exc:
                bad = replace(attempt.result, outcome=FetchOutcome.BLOCKED, error=f"bad redirect: {exc}")
                return _Attempt(bad)
        error = f"too many redirects (more than {self._settings.max_redirects})"
        return _Attempt(FetchResult(url, FetchOutcome.NETWORK_ERROR, final_url=str(current), error=error))

    async def _get(
        self,
        url: str,
        target: httpx.URL,
        headers: dict[str, str],
        validators: Validators | None,
        progress: _Progress,
    ) -> tuple[_Attempt, str | None]:
        """One request/response exchange; the second item is the Location to follow, if any."""
        final_url = str(target)
        await self._acquire_slot(target.host.lower(), progress)
        progress.doing, progress.received = "waiting for the response", 0
        try:
            async with self._http.stream("GET", target, headers=headers) as response:
                status = response.status_code
                kept = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
                media_type = kept.get("content-type", "").split(";")[0].strip().lower() or None
                base = FetchResult(
                    url,
                    FetchOutcome.HTTP_ERROR,
                    final_url,
                    status,
                    media_type,
                    headers=kept,
                    error=f"HTTP {status}",
                )
                if status in _REDIRECT_STATUSES and "location" in response.headers:
                    return _Attempt(base), response.headers["location"]
                if status == 304:
                    sent = validators or Validators()
                    unchanged = replace(base, outcome=FetchOutcome.NOT_MODIFIED, validators=sent, error=None)
                    return _Attempt(unchanged), None
                if status == 429 or status >= 500:
                    asked = response.headers.get("retry-after") if status in (429, 503) else None
                    wait = parse_retry_after(asked)
                    return _Attempt(base, retryable=True, retry_after=wait), None
                if not 200 <= status < 300:
                    return _Attempt(base), None
                progress.doing = "reading the body"
                body = await self._read_capped(response, progress)
                if isinstance(body, str):
                    return _Attempt(replace(base, outcome=FetchOutcome.TOO_LARGE, error=body)), None
                found = Validators(etag=kept.get("etag"), last_modified=kept.get("last-modified"))
                ok = replace(base, outcome=FetchOutcome.OK, body=body, validators=found, error=None)
                return _Attempt(ok), None
        except _Refused as exc:
            return _Attempt(FetchResult(url, FetchOutcome.BLOCKED, final_url, error=str(exc))), None
        except DecodingError as exc:
            # Like a corrupt body: another try now would get the same bytes; a later run may not.
            return _Attempt(FetchResult(url, FetchOutcome.NETWORK_ERROR, final_url, error=str(exc))), None
        except httpx.TimeoutException as exc:
            error = f"timed out ({type(exc).__name__})"
            return _Attempt(FetchResult(url, FetchOutcome.TIMEOUT, final_url, error=error), True), None
        except httpx.HTTPError as exc:
            error = _describe(exc)
            transient = isinstance(exc, httpx.TransportError)
            failed = FetchResult(url, FetchOutcome.NETWORK_ERROR, final_url, error=error)
            return _Attempt(failed, transient), None
        finally:
            self._slots.release()

    async def _read_capped(self, response: httpx.Response, progress: _Progress) -> bytes | str:
        """The decoded body, or why it was refused: over `max_body_bytes` declared, or as soon as the bytes
        received or the bytes decoded pass it. Decoding is ours (`BodyDecoder`, from the raw stream), in
        steps of at most `STEP`, so a gzip bomb is stopped at the cap plus one step of memory."""
        cap = self._settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return f"Content-Length {declared} over the {cap} byte cap"
        over = f"body over the {cap} byte cap"
        decoder = BodyDecoder(response.headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        size = 0

        def keep(pieces: Iterator[bytes]) -> bool:
            nonlocal size
            for piece in pieces:  # lazily: stops inflating at the first piece past the cap
                size += len(piece)
                if size > cap:
                    return False
                chunks.append(piece)
            return True

        async for raw in response.aiter_raw():
            progress.received += len(raw)
            # Received bytes count too: empty deflate blocks would otherwise stream forever at no size.
            if progress.received > cap or not keep(decoder.feed(raw)):
                return over
        return b"".join(chunks) if keep(decoder.finish()) else over

    async def _acquire_slot(self, host: str, progress: _Progress) -> None:
        """Wait until `host` may be contacted again, then take a global slot (released by the caller) and
        start the URL's deadline if this is its first request.

        The politeness sleep holds only this host's lock, never a global slot; the start time is stamped
        after the slot is taken, so queueing for a slot can't bunch up requests to one host."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        loop = asyncio.get_running_loop()
        progress.doing = "waiting for a connection slot"
        async with lock:
            last = self._host_last_start.get(host)
            if last is not None:
                wait = last + self._settings.per_host_delay_s - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            await self._slots.acquire()
            self._host_last_start[host] = loop.time()
        progress.start_clock(self._settings.deadline_s)

    async def _guard(self, url: str, target: httpx.URL) -> _Attempt | None:
        """The failed attempt if `target` must not be fetched, or None if it may be.

        An early check, before a slot is taken or a politeness delay waited: scheme, host, and the
        addresses the name has now. It cannot stop DNS rebinding (the name may resolve differently a
        moment later); `_GuardedBackend`, which checks the address it then connects to, does."""

        def blocked(error: str) -> _Attempt:
            return _Attempt(FetchResult(url, FetchOutcome.BLOCKED, final_url=str(target), error=error))

        if target.scheme not in ("http", "https"):
            return blocked(f"scheme {target.scheme or '(none)'!r} not allowed")
        if not target.host:
            return blocked("URL has no host")
        if target.host.lower() in self._allowed:
            return None
        port = target.port or (443 if target.scheme == "https" else 80)
        timeout = self._settings.timeout_s
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._resolver(target.raw_host.decode("ascii"), port)
        except TimeoutError:
            error = f"no DNS answer for {target.host} within {timeout:g} s"
            return _Attempt(FetchResult(url, FetchOutcome.TIMEOUT, final_url=str(target), error=error), True)
        except socket.gaierror as exc:
            error = f"cannot resolve {target.host}: {exc.strerror}"
            result = FetchResult(url, FetchOutcome.NETWORK_ERROR, final_url=str(target), error=error)
            return _Attempt(result, retryable=exc.errno == socket.EAI_AGAIN)
        for address in addresses:
            if is_blocked_address(address):
                return blocked(f"{target.host} resolves to non-public address {address}")
        return None


def _errno(exc: BaseException) -> str:
    """The system's words for the first errno down `exc`'s chain of causes ("Connection refused")."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno is not None:
            return os.strerror(cause.errno)
        cause = cause.__cause__ or cause.__context__
    return str(exc)


def _describe(exc: BaseException) -> str:
    """`ReadError: [Errno 104] Connection reset by peer`: httpx's type, with the first message found down
    its chain of causes (a reset reaches httpx through anyio with no text of its own)."""
    cause: BaseException | None = exc
    while cause is not None and not str(cause):
        cause = cause.__cause__ or cause.__context__
    return f"{type(exc).__name__}: {cause}" if cause is not None else type(exc).__name__


def fetch_all(
    settings: HttpSettings,
    requests: Sequence[tuple[str, Validators | None]],
    on_result: Callable[[FetchResult], None] | None = None,
    *,
    accept: str = DEFAULT_ACCEPT,
    resolver: Resolver = system_resolver,
) -> list[FetchResult]:
    """Sync wrapper for Prefect sync tasks: runs its own event loop, so call it from a thread without one."""

    async def run() -> list[FetchResult]:
        async with Fetcher(settings, accept=accept, resolver=resolver) as fetcher:
            return await fetcher.fetch_many(requests, on_result)

    return asyncio.run(run())
