"""The only module that touches the network: polite, bounded, SSRF-guarded HTTP GETs.

Network and HTTP problems never raise: every fetch ends in a `FetchResult` whose `outcome` says what
happened. Redirects are followed here rather than by httpx so that the SSRF guard sees every hop.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import random
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType

import httpx

from extractors.models import FetchOutcome, FetchResult, Validators
from flows.config import HttpSettings

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


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One try of a URL (all its redirect hops): the result, and whether another try could help."""

    result: FetchResult
    retryable: bool = False
    retry_after: float | None = None


class Fetcher:
    """Async HTTP fetcher: bounded concurrency, per-host politeness delay, retries, body cap, SSRF guard."""

    def __init__(self, settings: HttpSettings, *, accept: str = DEFAULT_ACCEPT) -> None:
        self._settings = settings
        self._accept = accept
        self._allowed = frozenset(h.lower() for h in settings.allowed_private_hosts)
        self._client: httpx.AsyncClient | None = None
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._host_last_start: dict[str, float] = {}

    async def __aenter__(self) -> Fetcher:
        self._client = httpx.AsyncClient(
            timeout=self._settings.timeout_s,
            headers={"User-Agent": self._settings.user_agent, "Accept": self._accept},
            follow_redirects=False,
            # The semaphore already bounds requests in flight; a smaller pool would only add pool timeouts.
            limits=httpx.Limits(max_connections=self._settings.concurrency),
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
        """GET `url`, retrying transient failures; conditional when `validators` are given."""
        started = time.monotonic()
        attempts = 0
        while True:
            attempt = await self._try_once(url, validators)
            attempts += 1
            error = attempt.result.error
            if attempt.retryable and attempts <= self._settings.retries:
                delay = self._settings.backoff_s * 2 ** (attempts - 1) * (1 + 0.25 * random.random())
                if attempt.retry_after is None:
                    await asyncio.sleep(delay)
                    continue
                if attempt.retry_after <= self._settings.max_retry_after_s:
                    await asyncio.sleep(max(delay, attempt.retry_after))
                    continue
                error = (
                    f"{error}; server asked to retry after {attempt.retry_after:.0f} s, "
                    f"over the {self._settings.max_retry_after_s:g} s cap"
                )
            elapsed = time.monotonic() - started
            return replace(attempt.result, error=error, elapsed_s=elapsed, attempts=attempts)

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

    async def _try_once(self, url: str, validators: Validators | None) -> _Attempt:
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
            refusal = await self._guard(url, current)
            if refusal is not None:
                return refusal
            attempt, location = await self._get(url, current, headers, validators)
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
        self, url: str, target: httpx.URL, headers: dict[str, str], validators: Validators | None
    ) -> tuple[_Attempt, str | None]:
        """One request/response exchange; the second item is the Location to follow, if any."""
        final_url = str(target)
        await self._acquire_slot(target.host.lower())
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
                body = await self._read_capped(response)
                if isinstance(body, str):
                    return _Attempt(replace(base, outcome=FetchOutcome.TOO_LARGE, error=body)), None
                found = Validators(etag=kept.get("etag"), last_modified=kept.get("last-modified"))
                ok = replace(base, outcome=FetchOutcome.OK, body=body, validators=found, error=None)
                return _Attempt(ok), None
        except httpx.TimeoutException as exc:
            error = f"timed out ({type(exc).__name__})"
            return _Attempt(FetchResult(url, FetchOutcome.TIMEOUT, final_url, error=error), True), None
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            transient = isinstance(exc, httpx.TransportError)
            failed = FetchResult(url, FetchOutcome.NETWORK_ERROR, final_url, error=error)
            return _Attempt(failed, transient), None
        finally:
            self._slots.release()

    async def _read_capped(self, response: httpx.Response) -> bytes | str:
        """The body, or why it was refused: over `max_body_bytes` declared, or as soon as the running
        total passes it. Counts decoded bytes, so a small gzip bomb is stopped as well as a big body."""
        cap = self._settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return f"Content-Length {declared} over the {cap} byte cap"
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                return f"body over the {cap} byte cap"
            chunks.append(chunk)
        return b"".join(chunks)

    async def _acquire_slot(self, host: str) -> None:
        """Wait until `host` may be contacted again, then take a global slot (released by the caller).

        The politeness sleep holds only this host's lock, never a global slot; the start time is stamped
        after the slot is taken, so queueing for a slot can't bunch up requests to one host."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        loop = asyncio.get_running_loop()
        async with lock:
            last = self._host_last_start.get(host)
            if last is not None:
                wait = last + self._settings.per_host_delay_s - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            await self._slots.acquire()
            self._host_last_start[host] = loop.time()

    async def _guard(self, url: str, target: httpx.URL) -> _Attempt | None:
        """The failed attempt if `target` must not be fetched, or None if it may be.

        Limitation: the addresses checked here come from our own lookup; httpx resolves the name again when
        it connects, so a DNS server answering differently the second time (DNS rebinding) could slip a
        private address past the guard. Pinning the connection to the checked IP would close that gap."""

        def blocked(error: str) -> _Attempt:
            return _Attempt(FetchResult(url, FetchOutcome.BLOCKED, final_url=str(target), error=error))

        if target.scheme not in ("http", "https"):
            return blocked(f"scheme {target.scheme or '(none)'!r} not allowed")
        if not target.host:
            return blocked("URL has no host")
        if target.host.lower() in self._allowed:
            return None
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                target.raw_host.decode("ascii"), port, type=socket.SOCK_STREAM
            )
        except socket.gaierror as exc:
            error = f"cannot resolve {target.host}: {exc.strerror}"
            result = FetchResult(url, FetchOutcome.NETWORK_ERROR, final_url=str(target), error=error)
            return _Attempt(result, retryable=exc.errno == socket.EAI_AGAIN)
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]))
            if is_blocked_address(address):
                return blocked(f"{target.host} resolves to non-public address {address}")
        return None


def fetch_all(
    settings: HttpSettings,
    requests: Sequence[tuple[str, Validators | None]],
    on_result: Callable[[FetchResult], None] | None = None,
    *,
    accept: str = DEFAULT_ACCEPT,
) -> list[FetchResult]:
    """Sync wrapper for Prefect sync tasks: runs its own event loop, so call it from a thread without one."""

    async def run() -> list[FetchResult]:
        async with Fetcher(settings, accept=accept) as fetcher:
            return await fetcher.fetch_many(requests, on_result)

    return asyncio.run(run())
