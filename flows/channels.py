"""Alert channels and their secrets: the apprise URLs from config or the environment, the name each is
shown under, and the scrubbing of every secret part of them from any text.

An apprise URL is mostly secret, and where the secret sits depends on the service: `tgram://BOT_TOKEN/ID`,
`slack://TokenA/TokenB/TokenC`, `discord://webhook_id/webhook_token` and `pover://user@token` hold tokens
in the host position; `ntfy://ntfy.sh/topic` holds it in the path. Guessing which words look like tokens
leaks lower-case ones, so a channel is shown as **scheme, host and port only**, the host only when it is
one, and a fingerprint of the whole URL so two channels can be told apart:
`json://hooks.example.com:8443#a1b2c3d4`, `slack://***#3fa2c1d9`. That name is what is stored in
`alerts.channel`, logged and shown.

The host is shown only when apprise, which knows every service's URL layout, agrees: the URL loads, the
service's URL template has a `host` token, the service took that text as its host and counts it in the
identity of the endpoint (`url_identifier`; ntfy's `ntfy://topic` has none), and it has the shape of a
DNS name with a dot, an IP address or `localhost`. Anything else is masked: when in doubt, mask.

apprise logs tokens and paths itself ("An invalid Slack (first) Token (tok!na) was specified", the POST
URL at debug level), so whatever runs apprise does it inside `apprise_log`, which keeps those lines from
every other log handler and hands them back to be scrubbed.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import apprise

from flows.config import Settings

URLS_ENV = "TRADEWATCH_ALERT_URLS"
MASK = "***"
FINGERPRINT_HEX = 8  # 32 bits: enough to tell a handful of channels apart at a glance

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]{0,31}")
_DNS_NAME = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_TAIL_SPLIT = re.compile(r"[/?#&]")
_SUB_SPLIT = re.compile(r"[:,+]")  # tgram://ID:TOKEN, comma-separated targets, +phone numbers
_ALNUM = re.compile(r"[^\W_]")
# Scrubbing, by the length of a secret (see `scrub`).
_ANYWHERE = 8
_URL_DELIMITER_BEFORE = r"(?:(?<=[/:@?&=#,])|(?<=%[0-9A-Fa-f]{2}))"
_URL_DELIMITER_AFTER = r"(?=[/:@?&=#]|%[0-9A-Fa-f]{2})"
_NOT_ALNUM_BEFORE, _NOT_ALNUM_AFTER = r"(?<![^\W_])", r"(?![^\W_])"
# Loggers that write parts of the URLs they are given: apprise, and urllib3 under it (paths, retries).
_APPRISE_LOGGERS = ("apprise", "urllib3")


# --- channels from config and env -------------------------------------------------------------------


def channel_urls(settings: Settings, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """$TRADEWATCH_ALERT_URLS (space-separated) when set, even empty; else `alerts.urls`."""
    env = os.environ if environ is None else environ
    if URLS_ENV in env:
        return tuple(env[URLS_ENV].split())
    return settings.alerts.urls


def channels(urls: Sequence[str]) -> dict[str, str]:
    """Shown name -> URL, in configured order. The same URL twice is one channel (one digest, not two).
    Two different URLs whose fingerprints collide get a longer one, so names stay unique."""
    named: dict[str, str] = {}
    for url in dict.fromkeys(urls):
        digest, n = _sha256(url), FINGERPRINT_HEX
        while (name := _name(url, digest[:n])) in named:
            n += 1
        named[name] = url
    return named


# --- the shown name ---------------------------------------------------------------------------------


def redact_url(url: str) -> str:
    """`scheme://host:port#fingerprint`, with the host masked unless it is one (module docstring)."""
    return _name(url, fingerprint(url))


def fingerprint(url: str) -> str:
    """A stable short hash of the whole URL: the same channel has the same name on every run."""
    return _sha256(url)[:FINGERPRINT_HEX]


def _sha256(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def _name(url: str, digest: str) -> str:
    parts = _parse(url)
    scheme = parts.scheme if _SCHEME.fullmatch(parts.scheme) else MASK
    where = f"{parts.host}:{parts.port}" if parts.port else parts.host
    return f"{scheme}://{where if parts.host_shown else MASK}#{digest}"


@dataclass(frozen=True, slots=True)
class _Parts:
    scheme: str
    rest: str  # everything after "scheme://" (all of it when there is no "://")
    userinfo: str
    host: str
    port: str
    tail: str  # path, query and fragment, from the first "/", "?" or "#"
    host_shown: bool


def _parse(url: str) -> _Parts:
    # By hand, not urllib: apprise URLs put `#channel` in the path and tokens with ":" in the host.
    scheme, sep, rest = url.partition("://")
    if not sep:  # not a URL: all of it is secret, and is split like a path
        return _Parts("", url, "", "", "", url, host_shown=False)
    cut = next((i for i, ch in enumerate(rest) if ch in "/?#"), len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    userinfo, _, hostport = netloc.rpartition("@")
    host, port = _host_port(hostport)
    return _Parts(scheme, rest, userinfo, host, port, tail, host_shown=_is_host(url, host))


def _host_port(hostport: str) -> tuple[str, str]:
    if hostport.startswith("["):  # IPv6: [::1]:8080
        host, _, after = hostport.partition("]")
        port = after[1:] if after.startswith(":") else ""
        return (host + "]", port) if port.isdigit() or not after else (hostport, "")
    host, colon, port = hostport.rpartition(":")
    return (host, port) if colon and port.isdigit() else (hostport, "")


def _is_host(url: str, host: str) -> bool:
    if not _host_shaped(host):
        return False
    with apprise_log():
        plugin = apprise.Apprise.instantiate(url)
    if plugin is None or "host" not in plugin.template_tokens:
        return False
    identity = getattr(plugin, "url_identifier", None)
    values = identity if isinstance(identity, (tuple, list)) else (identity,)
    same = host.lower()
    return str(getattr(plugin, "host", "")).lower() == same and any(str(v).lower() == same for v in values)


def _host_shaped(host: str) -> bool:
    if host.lower() == "localhost" or _DNS_NAME.fullmatch(host):
        return True
    try:
        ipaddress.ip_address(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    except ValueError:
        return False
    return True


# --- scrubbing ----------------------------------------------------------------------------------------


def scrub(text: str, urls: Iterable[str]) -> str:
    """`text` with every URL (as written, percent-decoded or percent-encoded) replaced by its shown name,
    and every secret part of them masked, in each of those forms too, ignoring case.

    A secret part is everything of a URL but its scheme and shown host and port: the user, the password,
    a host that is a token, every path segment, query value and fragment, and their ":", "," or "+"-separated
    pieces. Where it is masked depends on its length, so that masking does not garble ordinary text:
    - 8 characters or more (tokens, keys, most passwords): wherever it appears, even inside a word
      (`bot123456:AAH.../sendMessage`);
    - 3 to 7 characters: where it stands as a word, not inside a longer run of letters and digits (a path
      `hook` is masked in "POST /hook failed", not in "webhook");
    - 1 or 2 characters: only as a URL component, i.e. right after one of `/ : @ ? & = # ,` or a
      percent-escape and not followed by a letter or digit (`:p2@`, `?pass=p2&`), or right before one
      of `/ : @ ? & = #` or a percent-escape and not after a letter or digit (`u@host`), never in prose
      ("p2 of the u-boat" stays).
    A part with no letter or digit ("=", "/") is left alone, but for the user and the password."""
    urls = tuple(urls)  # read twice below
    replacement: dict[str, str] = {}
    for url in urls:
        name = redact_url(url)
        for form in _forms(url):
            replacement.setdefault(form.lower(), name)
    for url in urls:
        for part in _secret_parts(url):
            for form in _forms(part):
                replacement.setdefault(form.lower(), MASK)
    if not replacement:
        return text
    pattern = re.compile("|".join(map(_alternative, sorted(replacement, key=len, reverse=True))), re.I)
    # `.get`: a match differs from its key only where lower() and IGNORECASE disagree; mask it all the same.
    return pattern.sub(lambda m: replacement.get(m.group(0).lower(), MASK), text)


def _alternative(secret: str) -> str:
    escaped = re.escape(secret)
    if len(secret) >= _ANYWHERE:
        return escaped
    if len(secret) >= 3:
        return f"{_NOT_ALNUM_BEFORE}{escaped}{_NOT_ALNUM_AFTER}"
    return (
        f"(?:{_URL_DELIMITER_BEFORE}{escaped}{_NOT_ALNUM_AFTER}"
        f"|{_NOT_ALNUM_BEFORE}{escaped}{_URL_DELIMITER_AFTER})"
    )


def _secret_parts(url: str) -> set[str]:
    p = _parse(url)
    user, _, password = p.userinfo.partition(":")
    atoms = {user, password}
    if not p.host_shown:
        atoms |= {p.host, p.port}
    for piece in _TAIL_SPLIT.split(p.tail):
        atoms |= {piece, piece.partition("=")[2]}
    atoms |= {sub for atom in atoms for sub in _SUB_SPLIT.split(atom)}
    hostport = f"{p.host}:{p.port}" if p.port else p.host
    whole = {p.rest, p.tail, p.userinfo} | (set() if p.host_shown else {hostport})
    shown = {p.scheme.lower()} | ({p.host.lower(), p.port} if p.host_shown else set())
    parts = {x for x in atoms | whole if _ALNUM.search(x) and x.lower() not in shown}
    return parts | ({user, password} - {""})


def _forms(secret: str) -> set[str]:
    """A secret as written, percent-decoded (also with "+" for space) and percent-encoded."""
    decoded = unquote(secret)
    encoded = {quote(decoded), quote(decoded, safe=""), quote_plus(decoded)}
    return ({secret, decoded, unquote_plus(secret)} | encoded) - {"", MASK}


# --- apprise's own logging -------------------------------------------------------------------------


class _Lines(logging.Handler):
    def __init__(self, lines: list[str], level: int) -> None:
        super().__init__(level)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(record.getMessage())
        except Exception:  # a malformed record must not break a send; logging's own policy
            self.handleError(record)


@contextmanager
def apprise_log(level: int = logging.WARNING) -> Iterator[list[str]]:
    """Collect the block's apprise (and urllib3) log lines at `level` and above, and keep every line of
    theirs from all other handlers (they carry tokens and paths): callers scrub the lines they use."""
    lines: list[str] = []
    handler = _Lines(lines, level)
    loggers = [logging.getLogger(name) for name in _APPRISE_LOGGERS]
    saved = [(log, log.propagate, log.level) for log in loggers]
    for log in loggers:
        log.addHandler(handler)
        log.propagate = False
        if log.getEffectiveLevel() > level:
            log.setLevel(level)
    try:
        yield lines
    finally:
        for log, propagate, old_level in saved:
            log.removeHandler(handler)
            log.propagate = propagate
            log.setLevel(old_level)
