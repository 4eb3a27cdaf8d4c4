"""URL canonicalisation: one spelling per article, so the same story linked from two feeds is one row.

`canonical_url` applies the RFC 3986 §6.2.2 normalisations that never change the resource (case of scheme
and host, default ports, percent-encoding, dot segments), then removes what only tracks the reader
(fragment, tracking query parameters) and sorts the query. Trailing slashes are kept: `/a` and `/a/` are
different resources on enough sites that merging them would lose articles.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from urllib.parse import unquote_plus, urljoin, urlsplit

import idna

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "TRACKING_REF_VALUES",
    "article_id",
    "canonical_url",
    "is_tracking_param",
    "resolve_link",
]

# Query parameters that only identify a campaign, a click or a reader, never the content. Matched
# case-insensitively on the percent-decoded name.
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # ad-click identifiers
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
        "li_fat_id", "igshid", "rb_clickid",
        # mailing tools (Mailchimp, HubSpot, Marketo, Vero)
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "vero_id", "vero_conv",
        # analytics cookies passed in the URL
        "_ga", "_gl", "s_cid",
        # publishers' own campaign tags (MSN, CNN, NYT, Guardian, Reuters/AT Internet, ...)
        "ocid", "cmpid", "icid", "smid", "smtyp", "sr_share", "taid", "ito", "cid_source",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
        "at_format", "at_link", "at_ptr_name", "at_ptr_type", "at_term",
        "oly_anon_id", "oly_enc_id", "xtor", "wt_mc", "wt.mc_id",
        # share-widget referrers (Twitter/X embeds and similar)
        "ref_src", "ref_url",
    }
)  # fmt: skip

# Any parameter whose name starts with one of these (utm_source, utm_medium, utm_id, utm_whatever...).
TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)

# `ref` names content on some sites (a git ref, a product reference), so it is dropped only when its
# value is one of these traffic-source labels.
TRACKING_REF_VALUES: frozenset[str] = frozenset(
    {
        "rss", "feed", "feedly", "newsletter", "email", "mail", "push", "app", "share", "social",
        "twitter", "tw", "facebook", "fb", "linkedin", "reddit", "flipboard", "hn", "google", "msn",
        "homepage", "hp", "home", "nav", "menu", "header", "footer", "sidebar", "related", "recirc",
        "trending", "most_popular", "mostpopular", "widget", "ticker",
    }
)  # fmt: skip

_DEFAULT_PORTS = {"http": 80, "https": 443}
_HEX = "0123456789ABCDEFabcdef"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS = frozenset("!$&'()*+,;=")
# Characters each component may carry literally (RFC 3986 §3.2.1, §3.3, §3.4); anything else is
# percent-encoded as UTF-8.
_USERINFO_SAFE = _UNRESERVED | _SUB_DELIMS | {":"}
_PATH_SAFE = _UNRESERVED | _SUB_DELIMS | {":", "@", "/"}
_QUERY_SAFE = _UNRESERVED | _SUB_DELIMS | {":", "@", "/", "?"}
_REG_NAME = re.compile(r"[a-z0-9_.-]+")


def is_tracking_param(name: str, value: str = "") -> bool:
    """True if the query parameter `name=value` (both percent-decoded) only tracks the reader."""
    key = name.lower()
    if key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES):
        return True
    return key == "ref" and value.lower() in TRACKING_REF_VALUES


def canonical_url(url: str) -> str:
    """Return the canonical spelling of an absolute http(s) URL (idempotent).

    Raises ValueError for anything that is not an absolute http(s) URL with a valid host.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # parsed lazily: an invalid port raises here
    except ValueError as exc:
        raise ValueError(f"malformed URL {url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    netloc = _host(parts.hostname, url)
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    if at:
        netloc = f"{_normalise_percent(userinfo, _USERINFO_SAFE)}@{netloc}"
    path = _remove_dot_segments(_normalise_percent(parts.path, _PATH_SAFE)) or "/"
    query = _canonical_query(parts.query)
    return f"{scheme}://{netloc}{path}{'?' + query if query else ''}"


def article_id(canonical: str) -> str:
    """Stable natural key of an article: the first 32 hex digits of the SHA-256 of its canonical URL.

    Pass the output of `canonical_url`; the key is only as stable as the URL it hashes.
    """
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def resolve_link(link: str, base: str) -> str:
    """Resolve a possibly relative link (`/a`, `a`, `//host/a`) against `base`; absolute links pass through.

    Surrounding whitespace, common in hand-written feeds, is dropped. The result is not validated.
    """
    return urljoin(base.strip(), link.strip())


def _host(hostname: str | None, url: str) -> str:
    """Lower-cased ASCII host: IDN labels as punycode, IPv6 literals bracketed."""
    if not hostname:
        raise ValueError(f"URL has no host: {url!r}")
    if ":" in hostname:  # urlsplit only lets ':' through inside brackets, so this is an IPv6 literal
        try:
            return f"[{ipaddress.IPv6Address(hostname.split('%')[0]).compressed}]"
        except ValueError:
            raise ValueError(f"invalid IPv6 host in URL {url!r}") from None
    if not hostname.isascii():
        try:
            hostname = idna.encode(hostname, uts46=True).decode("ascii")
        except UnicodeError as exc:  # idna.IDNAError and codec errors alike
            raise ValueError(f"invalid internationalised host in URL {url!r}: {exc}") from None
    if not _REG_NAME.fullmatch(hostname):
        raise ValueError(f"invalid host in URL {url!r}")
    return hostname


def _normalise_percent(component: str, safe: frozenset[str]) -> str:
    """Decode escapes of unreserved characters, upper-case the others, encode what may not be literal.

    A '%' that does not start a valid escape is itself encoded (as %25), so the result is idempotent.
    """
    out: list[str] = []
    i, n = 0, len(component)
    while i < n:
        char = component[i]
        if char == "%" and i + 2 < n and component[i + 1] in _HEX and component[i + 2] in _HEX:
            decoded = chr(int(component[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + component[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            # surrogatepass: a lone surrogate still gets one stable spelling instead of crashing
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for the absolute paths of URLs with a host: `/a/./b/../c` -> `/a/c`."""
    if "." not in path:
        return path
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(out) > 1:  # out[0] is the empty segment before the leading '/'
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in (".", ".."):
        out.append("")  # `/a/b/..` names the directory `/a/`
    return "/".join(out)


def _canonical_query(query: str) -> str:
    """Drop tracking parameters and sort the rest by name, keeping each pair's own spelling.

    Pairs are not re-encoded through parse_qsl/urlencode, which would turn `%20` into `+` and lose the
    difference between `a` and `a=`. Repeated names keep their relative order (the sort is stable),
    because some servers read `a=2&a=1` differently from `a=1&a=2`.
    """
    pairs: list[tuple[str, str]] = []
    for raw in query.split("&"):
        if not raw:
            continue
        name, eq, value = raw.partition("=")
        if is_tracking_param(unquote_plus(name), unquote_plus(value)):
            continue
        key = _normalise_percent(name, _QUERY_SAFE - {"="})
        pair = key + eq + _normalise_percent(value, _QUERY_SAFE) if eq else key
        pairs.append((key, pair))
    pairs.sort(key=lambda item: item[0])
    return "&".join(pair for _, pair in pairs)
