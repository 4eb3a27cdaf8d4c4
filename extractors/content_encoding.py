"""Bounded decoding of HTTP `Content-Encoding` (RFC 9110 §8.4): raw body bytes in, decoded pieces out.

httpx decodes each network chunk in one call, so 64 KB of a gzip bomb becomes 64 MB in memory before any
size check can run. Here every piece yielded is at most `STEP` bytes, and nothing more is inflated until
the caller asks for the next piece: a caller that stops at its cap never holds more than the cap and a step.
Pure: no I/O, used by `extractors.http`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

STEP = 64 * 1024  # the most one decompression step may produce

# What `BodyDecoder` can decode, for the Accept-Encoding request header. No br or zstd: the standard
# library has neither, and a decoder whose output cannot be bounded per step would reopen the bomb.
ACCEPT_ENCODING = "gzip, deflate"


class DecodingError(Exception):
    """A body that cannot be decoded: an encoding we do not support, or corrupt compressed data."""


class _Zlib:
    """gzip (`wbits` 16+15), zlib-wrapped deflate (15) or raw deflate (-15), inflated `STEP` at a time."""

    def __init__(self, name: str, wbits: int) -> None:
        self.name = name
        self._inflate = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while True:
            try:
                out = self._inflate.decompress(data, STEP)
            except zlib.error as exc:
                raise DecodingError(f"corrupt {self.name} data: {exc}") from None
            if out:
                yield out
            data = self._inflate.unconsumed_tail
            # A full step may leave output pending inside zlib even with no input left: ask again.
            if not data and len(out) < STEP:
                return

    def finish(self) -> Iterator[bytes]:
        # All input has been consumed and drained by `feed`, so what flush returns is small.
        yield from self.feed(b"")
        try:
            rest = self._inflate.flush()
        except zlib.error as exc:
            raise DecodingError(f"corrupt {self.name} data: {exc}") from None
        if rest:
            yield rest


class _Deflate(_Zlib):
    """`deflate` is zlib-wrapped by the RFC, but some servers send raw deflate: like httpx and browsers,
    try the wrapped form on the first bytes and fall back to raw if they are not a zlib header."""

    def __init__(self) -> None:
        super().__init__("deflate", zlib.MAX_WBITS)
        self._first = True

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and data:
            self._first = False
            try:
                zlib.decompressobj(zlib.MAX_WBITS).decompress(data, 1)
            except zlib.error:
                self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
        yield from super().feed(data)


def _stage(name: str) -> _Zlib:
    if name in ("gzip", "x-gzip"):
        return _Zlib("gzip", 16 + zlib.MAX_WBITS)
    if name == "deflate":
        return _Deflate()
    raise DecodingError(f"Content-Encoding {name!r} is not supported (accepted: {ACCEPT_ENCODING})")


class BodyDecoder:
    """Undoes a `Content-Encoding` header's codings, last applied first; identity passes bytes through."""

    def __init__(self, content_encoding: str) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",")]
        self._stages: Sequence[_Zlib] = [_stage(n) for n in reversed(names) if n and n != "identity"]

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded pieces of `data`, each at most `STEP` bytes (identity: `data` as it came)."""
        return self._through(0, data)

    def finish(self) -> Iterator[bytes]:
        """What is left once the body has ended, flushed stage by stage."""
        for index, stage in enumerate(self._stages):
            for piece in stage.finish():
                yield from self._through(index + 1, piece)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        # Lazily, piece by piece: the next stage never sees more than one step of its input at a time.
        if index == len(self._stages):
            if data:
                yield data
            return
        for piece in self._stages[index].feed(data):
            yield from self._through(index + 1, piece)
