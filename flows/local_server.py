"""A small HTTP server on 127.0.0.1 that serves pages held in memory.

It serves the bundled sample news for `make run`, the benchmark's synthetic pages and tests. It speaks just
enough HTTP for tradewatch's fetcher to be exercised as on a real site: Content-Length, a strong ETag, a fixed
Last-Modified and 304 answers to conditional GETs. Standard library only, so it starts in milliseconds.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Fixed so that repeated runs see the same validators; the date itself carries no meaning.
LAST_MODIFIED = "Mon, 02 Mar 2026 08:00:00 GMT"


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    content_type: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)


def etag_for(body: bytes) -> str:
    """A strong entity tag: the same bytes always give the same tag."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    # RFC 9110 uses weak comparison for If-None-Match, so a W/ prefix from the client still matches.
    candidates = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in candidates or etag in candidates


class _Server(ThreadingHTTPServer):
    # Daemon threads so a client that keeps a connection open cannot block shutdown; a deep accept
    # queue so ~100 clients connecting at once are not refused (the socketserver default is 5).
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, pages: Mapping[str, Page], port: int) -> None:
        # Kept by reference, not copied: see `serve`.
        self.pages = pages
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-answer (a run killed while fetching) is not a server error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do; every answer sends Content-Length
    # Headers and body leave in two writes; with Nagle's algorithm the second waits for the client's
    # delayed ACK, ~40 ms per request on a kept-alive connection.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: a benchmark serving thousands of pages must not flood stderr."""

    def _answer(self, *, send_body: bool) -> None:
        path = self.path.split("#", 1)[0]
        if path not in self.server.pages:
            path = path.split("?", 1)[0]  # a cache-busting query string still finds the page
        page = self.server.pages.get(path)
        if page is None:
            body = b"not found\n"
            self.send_response(HTTPStatus.NOT_FOUND)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        etag = etag_for(page.body)  # sha256 runs at ~1 GB/s: cheaper than keeping a cache in step
        if page.status == 200 and _matches(self.headers.get("If-None-Match", ""), etag):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(page.status)
        self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(page.body)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", LAST_MODIFIED)
        for name, value in page.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(page.body)


@contextmanager
def serve(pages: Mapping[str, Page], port: int = 0) -> Iterator[str]:
    """Serve `pages` (URL path -> Page) and yield the base URL, "http://127.0.0.1:<port>".

    `port` 0 takes a free port; any other port raises OSError when it is taken.

    `pages` is read on every request, not copied, so a caller may fill it in after learning the base URL
    (pages that link to themselves need it). The server runs in a daemon thread and is shut down and
    joined on exit, even if the body of the `with` raises.
    """
    server = _Server(pages, port)
    # A short poll interval: shutdown() waits for the loop to notice, 0.5 s by default on every exit.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-news-server", daemon=True
    )
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
