from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from extractors.urls import TRACKING_PARAMS, article_id, canonical_url, is_tracking_param, resolve_link


def case_id(value: object) -> str:
    """Test ids without the scheme, so that `pytest -k "not http"` (deselecting test_http.py) keeps them."""
    return re.sub(r"(?i)https?(?=://|\(s\))", "", str(value))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # scheme and host case, default ports, empty path, fragment
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a#section-2", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("  https://example.com/a\n", "https://example.com/a"),
        # trailing slashes are the site's business
        ("https://example.com/news/", "https://example.com/news/"),
        ("https://example.com/news", "https://example.com/news"),
        # path case is kept
        ("https://example.com/News/Story", "https://example.com/News/Story"),
        # dot segments
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/../a", "https://example.com/a"),
        # percent-encoding: unreserved decoded, others upper-cased, unsafe encoded, stray % escaped
        ("https://example.com/%7euser/%2fx%2F", "https://example.com/~user/%2Fx%2F"),
        ("https://example.com/%41%42c", "https://example.com/ABc"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/zölle", "https://example.com/z%C3%B6lle"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/%zz", "https://example.com/%25zz"),
        ("https://example.com/?q=a%2bb+c", "https://example.com/?q=a%2Bb+c"),
        # IDN hosts to punycode
        ("https://Bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/"),
        ("http://例え.テスト/", "http://xn--r8jz45g.xn--zckzah/"),
        # IP literals
        ("http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
        ("http://192.0.2.1/x", "http://192.0.2.1/x"),
        # tracking parameters dropped, the rest sorted (stable for repeated names)
        ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?UTM_Campaign=x&utm_whatever=y", "https://example.com/a"),
        ("https://example.com/a?fbclid=1&gclid=2&msclkid=3&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?mc_cid=1&mc_eid=2&ocid=3&cmpid=4&icid=5&_ga=6", "https://example.com/a"),
        ("https://example.com/a?igshid=1&smid=tw-share&sr_share=twitter&taid=3", "https://example.com/a"),
        ("https://example.com/a?at_medium=RSS&at_campaign=KARANGA&p=2", "https://example.com/a?p=2"),
        ("https://example.com/a?utm%5Fsource=x&p=1", "https://example.com/a?p=1"),
        ("https://example.com/a?b=2&a=9&b=1", "https://example.com/a?a=9&b=2&b=1"),
        # `ref` only when it names a traffic source
        ("https://example.com/a?ref=rss&ref_src=twsrc%5Etfw", "https://example.com/a"),
        ("https://example.com/a?ref=v2.1", "https://example.com/a?ref=v2.1"),
        # empty pairs and values
        ("https://example.com/a?&&x=&y", "https://example.com/a?x=&y"),
        ("https://example.com/a?utm_source=rss", "https://example.com/a"),
        ("https://example.com/a?", "https://example.com/a"),
        # credentials are kept (they are part of what the server sees)
        ("https://User:pw@Example.com/a", "https://User:pw@example.com/a"),
    ],
    ids=case_id,
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/file", "not an absolute http(s) URL"),
        ("/relative/path", "not an absolute http(s) URL"),
        ("example.com/a", "not an absolute http(s) URL"),
        ("javascript:alert(1)", "not an absolute http(s) URL"),
        ("mailto:editor@example.com", "not an absolute http(s) URL"),
        ("", "not an absolute http(s) URL"),
        ("http:///path-only", "URL has no host"),
        ("https://example.com:99999/", "malformed URL"),
        ("https://example.com:port/", "malformed URL"),
        ("http://[::1/", "malformed URL"),
        ("http://exa mple.com/", "invalid host"),
        ("http://exa<mple.com/", "invalid host"),
    ],
    ids=case_id,
)
def test_canonical_url_rejects(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        canonical_url(url)


def test_article_id_is_a_stable_32_hex_digest() -> None:
    key = article_id("https://example.com/a")
    # the first half of sha256("https://example.com/a"): keys must not change across releases
    assert key == "2dce0a4c50441bfccfa9caf4b58c3cba"
    assert article_id("https://example.com/b") != key
    assert article_id(canonical_url("HTTPS://EXAMPLE.com/a?utm_source=x#top")) == key


@pytest.mark.parametrize(
    ("link", "base", "expected"),
    [
        ("/news/1", "https://example.com/feeds/rss.xml", "https://example.com/news/1"),
        ("story.html", "https://example.com/feeds/rss.xml", "https://example.com/feeds/story.html"),
        ("//cdn.example.net/a", "https://example.com/feed", "https://cdn.example.net/a"),
        ("  https://other.example/a  ", "https://example.com/feed", "https://other.example/a"),
        ("?page=2", "https://example.com/feed?page=1", "https://example.com/feed?page=2"),
    ],
    ids=case_id,
)
def test_resolve_link(link: str, base: str, expected: str) -> None:
    assert resolve_link(link, base) == expected


def test_ref_is_tracking_only_for_source_labels() -> None:
    assert is_tracking_param("ref", "RSS")
    assert is_tracking_param("REF_SRC", "anything")
    assert not is_tracking_param("ref", "main")
    assert not is_tracking_param("reference", "rss")


# --- properties ---------------------------------------------------------------------------------------

_hosts = st.sampled_from(
    ["example.com", "EXAMPLE.com", "news.example.co.uk", "bücher.example", "xn--bcher-kva.example",
     "192.0.2.7", "[2001:db8::1]", "例え.テスト", "a-b_c.example"]
)  # fmt: skip
_ports = st.sampled_from(["", ":80", ":443", ":8080", ":"])
# URL pieces: literal characters (safe, unsafe, non-ASCII; no delimiters: & = ? #) and escapes
# (unreserved, reserved, multi-byte, broken)
_PIECES = [*"aZ09-._~!$'()*+,;:@/ é€\"<>\\^`{|}[]", "%41", "%7e", "%2f", "%e2%82%ac", "%", "%g"]
_component_chars = st.lists(st.sampled_from(_PIECES), max_size=20).map("".join)
_tracking_names = st.sampled_from(sorted(TRACKING_PARAMS)).map(str.upper) | st.text(
    alphabet="abcxyz_", max_size=8
).map(lambda suffix: f"UTM_{suffix}")
_plain_names = st.text(alphabet="abcdefgh", min_size=1, max_size=5)


@st.composite
def _urls(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A messy http(s) URL with tracking parameters mixed into its query, and its other parameter names."""
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HttpS"]))
    path = draw(_component_chars)
    plain = draw(st.lists(_plain_names, max_size=3))
    names = draw(st.lists(_tracking_names, max_size=3)) + plain
    pairs = [f"{name}={draw(_component_chars)}" for name in names]
    query = "&".join(draw(st.permutations(pairs)))
    fragment = draw(st.sampled_from(["", "#", "#top", "#a?b=c"]))
    url = f"{scheme}://{draw(_hosts)}{draw(_ports)}/{path}?{query}{fragment}"
    return url, plain


@given(_urls())
def test_canonical_url_is_idempotent_and_drops_tracking(case: tuple[str, list[str]]) -> None:
    url, plain_names = case
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical
    parts = urlsplit(canonical)
    assert parts.fragment == ""
    assert canonical.isascii()
    names = [unquote_plus(pair.partition("=")[0]) for pair in parts.query.split("&") if pair]
    # every tracking parameter gone, every other one kept, sorted
    assert names == sorted(plain_names)


@given(st.text(max_size=60))
def test_canonical_url_only_ever_raises_value_error(text: str) -> None:
    for candidate in (text, f"http://example.com/{text}", f"https://{text}/"):
        try:
            canonical = canonical_url(candidate)
        except ValueError:
            continue
        assert canonical_url(canonical) == canonical


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_canonical_path_keeps_meaning(segment: str) -> None:
    """Normalising the encoding never changes which characters the path names."""
    assume("/" not in segment and "%" not in segment and segment not in (".", ".."))
    assume("?" not in segment and "#" not in segment and segment.strip() == segment)
    assume(not any(c in segment for c in "\t\r\n"))
    canonical = canonical_url(f"https://example.com/{segment}")
    assert unquote_plus(urlsplit(canonical).path.replace("+", "%2B")) == "/" + segment
