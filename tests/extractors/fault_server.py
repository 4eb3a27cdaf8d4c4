"""A hostile web server for tests and benches: a real threaded HTTP server on 127.0.0.1, one route per fault,
and a DNS resolver that tests control. Standard library only, so `bench/fetch_bomb.py` can run it in a child
process too.

    with FaultServer() as server:
        fetch_all(settings, [(server.url("/drip"), None)], resolver=FakeDNS())

URLs use the host name `fault.test`, which `FakeDNS` resolves to 127.0.0.1: tests can then allow that one
name and leave 127.0.0.1 itself, and every other private address, refused by the SSRF guard.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import os
import socket
import struct
import sys
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from extractors.http import IPAddress

HOST = "fault.test"  # resolves to this server through FakeDNS
REBIND_HOST = "rebind.test"  # a public address at the first lookup, 127.0.0.1 from the second on
PUBLIC_ADDRESS = ipaddress.ip_address("93.184.216.34")  # never connected to: the guard must refuse first
BIG = 50 * 1024 * 1024
PIECE = 64 * 1024
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CAFE_LATIN1 = "<html><body><p>Caf\u00e9 cr\u00e8me</p></body></html>".encode("latin-1")
CAFE_UTF8 = "<html><body><p>Caf\u00e9 cr\u00e8me</p></body></html>".encode()
OK_BODY = b"<html><body><p>fine</p></body></html>"


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes, gzip-compressed (about 1,000:1), built a MiB at a time to keep memory small."""
    deflate = zlib.compressobj(9, wbits=16 + zlib.MAX_WBITS)
    zeros = memoryview(bytes(1 << 20))
    parts = [deflate.compress(zeros[: size - done]) for done in range(0, size, len(zeros))]
    return b"".join([*parts, deflate.flush()])


class FakeDNS:
    """An injectable resolver: `fault.test` is 127.0.0.1, `rebind.test` plays a DNS-rebinding attacker
    (a public address first, then loopback, as a zero-TTL record can), IP literals are themselves and any
    other name does not exist. `calls` counts lookups per name."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.calls[host] += 1
        if host == HOST:
            return [ipaddress.ip_address("127.0.0.1")]
        if host == REBIND_HOST:
            return [PUBLIC_ADDRESS if self.calls[host] == 1 else ipaddress.ip_address("127.0.0.1")]
        try:
            return [ipaddress.ip_address(host)]
        except ValueError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck in a fault never keeps the test process alive
    # socketserver's default backlog of 5 drops the SYNs of a burst of connections, which the client then
    # resends a second later: every fetch of a 30-URL call would look a second slow.
    request_queue_size = 128

    def __init__(self, bomb_size: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        # Built before serving: built on demand, it would stall every route while it compresses.
        self.bomb = gzip_bomb(bomb_size)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet about clients that hang up between requests (a refused body does that on purpose)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows stderr of failing tests, and hundreds of access lines would bury the cause."""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] += 1
            hit = self.server.hits[path]
        route = ROUTES.get(path) or (_ok if path.startswith("/secret/") else _not_found)
        # The client hanging up is what a refused body looks like from here.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self, hit)

    # --- writing helpers ---

    def head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def reply(self, status: int, body: bytes = b"", content_type: str = "text/html", **extra: str) -> None:
        headers = {"Content-Type": content_type, "Content-Length": str(len(body))}
        self.head(status, {**headers, **{k.replace("_", "-"): v for k, v in extra.items()}})
        self.wfile.write(body)

    def send_counted(self, data: bytes, chunked: bool = False) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        with self.server.lock:
            self.server.sent[urlsplit(self.path).path] += len(data)

    def reset(self) -> None:
        """End with an RST rather than a FIN, as a crashed server or a middlebox does: SO_LINGER 0, then
        close the descriptor itself now (socketserver would send a FIN first, and the socket object only
        really closes once its file objects are closed too)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        os.close(self.connection.detach())
        self.close_connection = True


Route = Callable[[_Handler, int], None]


def _ok(h: _Handler, hit: int) -> None:
    h.reply(200, OK_BODY)


def _not_found(h: _Handler, hit: int) -> None:
    h.reply(404, b"no such fault")


def _silent(h: _Handler, hit: int) -> None:
    h.server.stopping.wait()  # accepted and read, never answered
    h.close_connection = True


def _drip(h: _Handler, hit: int) -> None:
    """A 2 KB page at one byte a second: never silent long enough for a per-read timeout."""
    h.head(200, {"Content-Type": "text/html", "Content-Length": "2048"})
    for _ in range(2048):
        h.send_counted(b"x")
        if h.server.stopping.wait(1.0):
            break
    h.close_connection = True


def _failing_once(status: int, **headers: str) -> Route:
    def route(h: _Handler, hit: int) -> None:
        if hit == 1:
            h.reply(status, b"try again", **headers)
        else:
            h.reply(200, OK_BODY)

    return route


def _retry_after_date(h: _Handler, hit: int) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)  # 1 to 2 s from now
    _failing_once(429, Retry_After=when)(h, hit)


def _reset_mid_body(h: _Handler, hit: int) -> None:
    h.head(200, {"Content-Type": "text/html", "Content-Length": "10000"})
    h.send_counted(b"x" * 100)
    h.server.stopping.wait(0.1)  # let the client read the headers and start on the body
    h.reset()


def _short(h: _Handler, hit: int) -> None:
    h.head(200, {"Content-Type": "text/html", "Content-Length": "1000"})
    h.send_counted(b"x" * 100)
    h.close_connection = True  # a clean FIN, 900 bytes early


def _big(declared: bool) -> Route:
    def route(h: _Handler, hit: int) -> None:
        length = {"Content-Length": str(BIG)} if declared else {"Transfer-Encoding": "chunked"}
        h.head(200, {"Content-Type": "text/html", **length})
        zeros = bytes(PIECE)
        for _ in range(BIG // PIECE):
            h.send_counted(zeros, chunked=not declared)
        if not declared:
            h.wfile.write(b"0\r\n\r\n")

    return route


def _bomb_streamed(h: _Handler, hit: int) -> None:
    bomb = h.server.bomb
    h.head(200, {"Content-Type": "text/html", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked"})
    for start in range(0, len(bomb), 8192):
        h.send_counted(bomb[start : start + 8192], chunked=True)
    h.wfile.write(b"0\r\n\r\n")


def _bomb_burst(h: _Handler, hit: int) -> None:
    bomb = h.server.bomb
    h.head(200, {"Content-Type": "text/html", "Content-Encoding": "gzip", "Content-Length": str(len(bomb))})
    h.send_counted(bomb)  # one write: the whole bomb is in the socket buffers at once


def _redirect(location: Callable[[_Handler], str]) -> Route:
    def route(h: _Handler, hit: int) -> None:
        h.reply(302, b"", Location=location(h))

    return route


ROUTES: dict[str, Route] = {
    "/ok": _ok,
    "/silent": _silent,
    "/drip": _drip,
    "/status/500-then-ok": _failing_once(500),
    "/status/502-then-ok": _failing_once(502),
    "/status/503-then-ok": _failing_once(503),
    "/status/429-retry-after-seconds": _failing_once(429, Retry_After="1"),
    "/status/429-retry-after-date": _retry_after_date,
    "/status/404": lambda h, hit: h.reply(404, b"not here"),
    "/status/410": lambda h, hit: h.reply(410, b"gone for good"),
    "/reset-mid-body": _reset_mid_body,
    "/short-body": _short,
    "/charset/latin1-labelled-utf8": lambda h, hit: h.reply(200, CAFE_LATIN1, "text/html; charset=utf-8"),
    "/charset/utf8-labelled-latin1": lambda h, hit: h.reply(200, CAFE_UTF8, "text/html; charset=iso-8859-1"),
    "/big/declared": _big(declared=True),
    "/big/chunked": _big(declared=False),
    "/bomb/streamed": _bomb_streamed,
    "/bomb/burst": _bomb_burst,
    "/encoding/br": lambda h, hit: h.reply(200, b"\x1b\x03\x00", Content_Encoding="br"),
    "/encoding/gzip": lambda h, hit: h.reply(200, zlib.compress(OK_BODY, wbits=31), Content_Encoding="gzip"),
    "/encoding/raw-deflate": lambda h, hit: h.reply(
        200, zlib.compress(OK_BODY, wbits=-zlib.MAX_WBITS), Content_Encoding="deflate"
    ),
    "/redirect/loop": _redirect(lambda h: "/redirect/loop"),
    "/redirect/loopback": _redirect(lambda h: f"http://127.0.0.1:{h.server.server_port}/secret/loopback"),
    "/redirect/metadata": _redirect(lambda h: "http://169.254.169.254/latest/meta-data/"),
    "/pdf": lambda h, hit: h.reply(200, PDF, "application/pdf"),
    "/empty": lambda h, hit: h.reply(200, b""),
}


class FaultServer:
    """The server, running in a thread for the length of a `with` block. `hits` and `sent` count, per
    path, the requests received and the body bytes written."""

    def __init__(self, bomb_size: int = 32 * 1024 * 1024) -> None:
        """`bomb_size`: how many zero bytes the gzip bomb routes inflate to."""
        self._server = _Server(bomb_size)
        # A short poll interval: `shutdown` waits for it, once per server per test.
        serve = functools.partial(self._server.serve_forever, poll_interval=0.05)
        self._thread = threading.Thread(target=serve, name="fault-server", daemon=True)

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def port(self) -> int:
        return self._server.server_port

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    @property
    def sent(self) -> Counter[str]:
        return self._server.sent

    def url(self, path: str, host: str = HOST) -> str:
        return f"http://{host}:{self.port}{path}"

    def serve_forever(self) -> None:
        """Serve in this thread until killed: for a child process (bench/fetch_bomb.py)."""
        self._server.serve_forever()
