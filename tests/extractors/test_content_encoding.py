"""extractors.content_encoding: bounded decoding, checked against the standard library's own encoders."""

from __future__ import annotations

import gzip
import itertools
import zlib
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.content_encoding import STEP, BodyDecoder, DecodingError
from tests.extractors.fault_server import gzip_bomb

ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,  # the RFC's zlib-wrapped deflate
    "identity": lambda data: data,
    "": lambda data: data,
}


def decode(header: str, body: bytes, cuts: list[int]) -> Iterator[bytes]:
    """Feed `body` in pieces cut at `cuts`, as the network might deliver it."""
    decoder = BodyDecoder(header)
    bounds = [0, *sorted(c % (len(body) + 1) for c in cuts), len(body)]
    for start, end in itertools.pairwise(bounds):
        yield from decoder.feed(body[start:end])
    yield from decoder.finish()


@settings(max_examples=60, deadline=None)
@given(
    data=st.binary(max_size=3000) | st.builds(lambda n: bytes(n), st.integers(0, 5 * STEP)),
    header=st.sampled_from(sorted(ENCODERS)),
    cuts=st.lists(st.integers(0, 10**6), max_size=6),
)
def test_round_trip_in_any_pieces(data: bytes, header: str, cuts: list[int]) -> None:
    body = ENCODERS[header](data)
    pieces = list(decode(header, body, cuts))
    assert b"".join(pieces) == data
    if header.strip() not in ("", "identity"):
        assert all(len(piece) <= STEP for piece in pieces)


def test_raw_deflate_as_some_servers_send_it() -> None:
    data = b"<p>raw deflate, no zlib header</p>" * 100
    raw = zlib.compress(data, wbits=-zlib.MAX_WBITS)
    assert b"".join(decode("deflate", raw, [7])) == data


def test_codings_are_undone_last_first() -> None:
    data = b"twice encoded " * 500
    body = gzip.compress(zlib.compress(data))  # deflate applied first, then gzip
    assert b"".join(decode("deflate, gzip", body, [10, 200])) == data


def test_a_bomb_is_inflated_only_as_far_as_it_is_read() -> None:
    """The point of the module: the whole of an 8 MiB bomb (8 KB) costs one step, not 8 MiB, if the caller
    stops after the first piece."""
    first = next(BodyDecoder("gzip").feed(gzip_bomb(8 * 1024 * 1024)))
    assert len(first) == STEP


@pytest.mark.parametrize("header", ["br", "zstd", "compress", "gzip, br"])
def test_unsupported_codings_are_named(header: str) -> None:
    with pytest.raises(DecodingError, match="is not supported"):
        BodyDecoder(header)


def test_corrupt_gzip_is_a_decoding_error() -> None:
    with pytest.raises(DecodingError, match="corrupt gzip data"):
        list(decode("gzip", b"\x1f\x8b\x08\x00garbage" * 10, []))
