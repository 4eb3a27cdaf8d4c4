"""Alerts on tariff deadlines: after each daily run's load, tell the configured channels what is new, what
moved and what is due soon, one digest per channel, through apprise.

Exactly once per channel, with an outbox:

1. in one transaction, the deadlines are reconciled (`extractors.deadline_alerts`), `tracked_deadlines` is
   updated and every alert is written to `alerts` as `pending`, one row per channel, keyed by
   hash(kind, deadline key, date range, channel): a second run computes the same ids and adds nothing;
2. every `pending` (or `failed`) alert of a channel goes out in one digest;
3. the digest's alerts are marked `sent` (or `failed`, with the error, retried next run).

A crash between 1 and 2 loses nothing: the rows are `pending` and the next run sends them. A crash
between 2 and 3 (the message is out, the record is not) makes the next run send that digest again: at
most one duplicate per crash, never a lost alert. A channel that keeps failing is tried on
`MAX_ATTEMPTS` runs. Nothing here can fail the flow: an error is logged and the load stands.

Secrets: channels are stored, logged and shown only as `redact_url` gives them, and error texts are
scrubbed of every secret part of the URLs. With no channel configured, alerts are recorded (`printed`)
and shown in the run's summary.
"""

from __future__ import annotations

import logging
import os
import re
import signal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import apprise
from prefect import task
from prefect.cache_policies import NO_CACHE

from extractors.deadline_alerts import Alert, AlertKind, KnownDeadline, reconcile
from flows.config import Settings
from flows.tasks import logger
from warehouse import alerts as outbox
from warehouse.engine import writer

URLS_ENV = "TRADEWATCH_ALERT_URLS"
# Test hook, for the crash test only: the process kills itself right after apprise returns and before
# the result is recorded. Nothing else reads it.
KILL_AFTER_SEND_ENV = "TRADEWATCH_TEST_KILL_AFTER_SEND"
MAX_ATTEMPTS = 10
MASK = "***"

_LABELS = {AlertKind.NEW: "NEW", AlertKind.MOVED: "MOVED", AlertKind.DUE_SOON: "DUE SOON"}
_HOSTNAME = re.compile(r"(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|(?:[\w-]+\.)+[A-Za-z]{2,})")
# Lower-case words without digits ("hook", "#general"); anything with a capital or a digit may be a token
# ("slack://TokenA/TokenB/...") and is masked.
_PLAIN_SEGMENT = re.compile(r"[a-z#@_.-]{1,24}")


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One alert as the run summary shows it."""

    kind: str
    headline: str  # the message's first line: what and when
    channel: str  # redacted; "" when no channel is configured
    status: str


@dataclass(frozen=True, slots=True)
class AlertReport:
    created: tuple[AlertLine, ...] = ()
    sent: int = 0  # alerts delivered this run, retries of earlier ones included
    failed: int = 0
    error: str | None = None  # the step itself failed (logged; the load stands)


# --- channels and secrets ---------------------------------------------------------------------------


def channel_urls(settings: Settings, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """$TRADEWATCH_ALERT_URLS (space-separated) when set, even empty; else `alerts.urls`."""
    env = os.environ if environ is None else environ
    if URLS_ENV in env:
        return tuple(env[URLS_ENV].split())
    return settings.alerts.urls


def redact_url(url: str) -> str:
    """The URL with its secrets masked: scheme, host (unless it is a token, as in `tgram://TOKEN/...`),
    port and plain path words stay; user, password, token-like path segments and query values go."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return MASK
    netloc, path, query = _split(rest)
    _, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport.rpartition(":") if _is_port(hostport) else (hostport, "", "")
    shown = (MASK + "@" if at else "") + (host if _HOSTNAME.fullmatch(host) else MASK) + colon + port
    segments = "/".join(s if not s or _PLAIN_SEGMENT.fullmatch(s) else MASK for s in path.split("/"))
    text = f"{scheme}://{shown}" + (f"/{segments}" if path else "")
    if query:
        text += "?" + "&".join(f"{p.partition('=')[0]}={MASK}" for p in query.split("&") if p)
    return text


def _split(rest: str) -> tuple[str, str, str]:
    # No fragment: apprise URLs name channels with `#` in the path (slack://.../#general).
    before_query, _, query = rest.partition("?")
    netloc, _, path = before_query.partition("/")
    return netloc, path, query


def _is_port(hostport: str) -> bool:
    return ":" in hostport and hostport.rpartition(":")[2].isdigit()


def _secrets(url: str) -> set[str]:
    """Every part of `url` that `redact_url` masks."""
    _, _, rest = url.partition("://")
    netloc, path, query = _split(rest)
    userinfo, at, hostport = netloc.rpartition("@")
    parts = set(userinfo.split(":")) if at else set()
    host = hostport.rpartition(":")[0] if _is_port(hostport) else hostport
    if not _HOSTNAME.fullmatch(host):
        parts |= {host, hostport}
    parts |= {s for s in path.split("/") if s and not _PLAIN_SEGMENT.fullmatch(s)}
    parts |= {p.partition("=")[2] for p in query.split("&")}
    return {p for p in parts if len(p) >= 3}


def scrub(text: str, urls: Iterable[str]) -> str:
    """`text` with every URL shown redacted and every secret part of them masked."""
    for url in urls:
        text = text.replace(url, redact_url(url))
        for secret in sorted(_secrets(url), key=len, reverse=True):
            text = text.replace(secret, MASK)
    return text


def channels(urls: Sequence[str]) -> dict[str, str]:
    """Redacted name -> URL. Two URLs that differ only in secrets redact alike: later ones get `#2`,
    `#3`... in configured order."""
    named: dict[str, str] = {}
    for url in urls:
        name, n = redact_url(url), 1
        while (name if n == 1 else f"{name}#{n}") in named:
            n += 1
        named[name if n == 1 else f"{name}#{n}"] = url
    return named


# --- messages ---------------------------------------------------------------------------------------


def _when(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"


def headline(kind: AlertKind, deadline: KnownDeadline, today: date) -> str:
    days, to_end = (deadline.date_start - today).days, (deadline.date_end - today).days
    if days > 0:
        ahead = "tomorrow" if days == 1 else f"in {days} days"
    else:
        ahead = "today" if to_end <= 0 else f"under way, ends in {to_end} day{'s' if to_end != 1 else ''}"
    when = _when(deadline.date_start, deadline.date_end)
    if kind is AlertKind.MOVED and deadline.previous_start and deadline.previous_end:
        when += f" (moved from {_when(deadline.previous_start, deadline.previous_end)})"
    label = f"{deadline.label} " if deadline.label else ""
    return f"{_LABELS[kind]}: {label}deadline, {when}, {ahead}"


def message(alert: Alert, today: date) -> str:
    """What and when in one line, then the sentence, the article's title and link, how many report it."""
    d = alert.deadline
    sources = f"{d.source_count} source{'s' if d.source_count != 1 else ''}"
    articles = f"{d.article_count} article{'s' if d.article_count != 1 else ''}"
    return "\n".join(
        (
            headline(alert.kind, d, today),
            f"“{d.sentence}”",
            f"{d.title or 'Untitled'}: {d.url}",
            f"Reported by {sources} ({articles}).",
        )
    )


def digest(messages: Sequence[str]) -> tuple[str, str]:
    """(title, body) of one channel's message for a run."""
    count = len(messages)
    return f"tradewatch: {count} deadline alert{'s' if count != 1 else ''}", "\n\n".join(messages)


# --- the step ---------------------------------------------------------------------------------------


def run_alerts(
    settings: Settings, run_id: str, today: date, environ: Mapping[str, str] | None = None
) -> AlertReport:
    """Reconcile, record, send, mark (see the module docstring). Raises on a warehouse error."""
    log = logger()
    urls = channel_urls(settings, environ)
    named = channels(urls)
    path, lock_s = settings.warehouse.path, settings.warehouse.lock_timeout_s
    now = datetime.now(UTC)
    with writer(path, lock_timeout_s=lock_s) as conn:
        known = outbox.known_deadlines(conn)
        found = outbox.found_deadlines(conn, run_id, today)
        result = reconcile(known, found, today, settings.alerts.due_soon_days)
        outbox.save_tracked(conn, result.state, result.seen, run_id=run_id, now=now, today=today)
        rows = [
            outbox.AlertRow(
                outbox.alert_id(a.kind, a.key, a.deadline.date_start, a.deadline.date_end, channel),
                a.kind,
                a.key,
                a.deadline.date_start,
                a.deadline.date_end,
                channel,
                message(a, today),
                "pending" if named else "printed",
            )
            for a in result.alerts
            for channel in (named or {outbox.NO_CHANNEL: ""})
        ]
        created = outbox.record_alerts(conn, rows, run_id=run_id, now=now)
        to_send = outbox.unsent(conn, list(named), MAX_ATTEMPTS)
    if created:
        log.info("%d new alerts for %d channel(s)", len(created), len(named))

    results: dict[str, str] = {}
    sent = failed = 0
    for channel in named:
        batch = [r for r in to_send if r.channel == channel]
        if not batch:
            continue
        title, body = digest([r.message for r in batch])
        error = notify(named[channel], title, body)
        if os.environ.get(KILL_AFTER_SEND_ENV):
            os.kill(os.getpid(), signal.SIGKILL)
        with writer(path, lock_timeout_s=lock_s) as conn:
            ids = [r.alert_id for r in batch]
            outbox.mark(conn, ids, ok=error is None, now=datetime.now(UTC), error=error)
        results.update({r.alert_id: "sent" if error is None else "failed" for r in batch})
        if error is None:
            sent += len(batch)
        else:
            failed += len(batch)
            log.warning("alerts to %s failed (retried next run): %s", channel, error)
    lines = tuple(
        AlertLine(r.kind.value, r.message.partition("\n")[0], r.channel, results.get(r.alert_id, r.status))
        for r in created
    )
    return AlertReport(created=lines, sent=sent, failed=failed)


def notify(url: str, title: str, body: str) -> str | None:
    """Send one message; None when it went out, else the error (scrubbed of the URL's secrets)."""
    sender = apprise.Apprise()
    if not sender.add(url):
        return f"not a valid apprise URL: {redact_url(url)}"
    try:
        with apprise.LogCapture(level=logging.WARNING) as captured:
            ok = bool(sender.notify(body=body, title=title))
            logs = captured.getvalue()
    except Exception as exc:  # apprise plugins raise their own types; none may stop the run
        return scrub(f"{type(exc).__name__}: {exc}", [url])
    if ok:
        return None
    lines = [line.partition(" - WARNING - ")[2] or line for line in logs.splitlines() if line.strip()]
    return scrub("; ".join(lines) or "the service refused the message", [url])


@task(name="alert-deadlines", cache_policy=NO_CACHE)
def alert_deadlines(settings: Settings, run_id: str, today: date) -> AlertReport:
    """The alert step of the daily flow. Never raises: the load is done and must stand."""
    try:
        return run_alerts(settings, run_id, today)
    except Exception as exc:
        error = scrub(f"{type(exc).__name__}: {exc}", channel_urls(settings))
        logger().error("alert step failed (alerts are sent on the next run): %s", error)
        return AlertReport(error=error)


def send_test(settings: Settings, environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """A test message to every channel: redacted channel -> None if it went out, else the error."""
    return {
        name: notify(url, "tradewatch: test alert", "tradewatch can reach this channel.")
        for name, url in channels(channel_urls(settings, environ)).items()
    }
