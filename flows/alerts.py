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

Secrets: channels are stored, logged and shown only by their name (`flows.channels`: scheme, host when
it is one, fingerprint), and error texts and apprise's log lines are scrubbed of every secret part of the
URLs. With no channel configured, alerts are recorded (`printed`) and shown in the run's summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import apprise
from prefect import task
from prefect.cache_policies import NO_CACHE

from extractors.deadline_alerts import Alert, AlertKind, KnownDeadline, reconcile
from flows.channels import apprise_log, channel_urls, channels, redact_url, scrub
from flows.config import Settings
from flows.tasks import logger
from warehouse import alerts as outbox
from warehouse.engine import writer

MAX_ATTEMPTS = 10

_LABELS = {AlertKind.NEW: "NEW", AlertKind.MOVED: "MOVED", AlertKind.DUE_SOON: "DUE SOON"}


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
    """Send one message; None when it went out, else the error (scrubbed of the URL's secrets).

    apprise runs inside `apprise_log`: its own log lines name tokens and paths, so they reach our logs
    only as part of this scrubbed error."""
    name = redact_url(url)
    with apprise_log() as logs:
        sender = apprise.Apprise()
        try:
            added = bool(sender.add(url))
            ok = added and bool(sender.notify(body=body, title=title))
        except Exception as exc:  # apprise plugins raise their own types; none may stop the run
            return scrub(f"{type(exc).__name__}: {exc}", [url])
    if ok:
        return None
    reason = "; ".join(line for line in logs if line.strip())
    if not added:
        return scrub(f"not a valid apprise URL: {name}" + (f" ({reason})" if reason else ""), [url])
    return scrub(reason or "the service refused the message", [url])


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
