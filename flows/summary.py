"""What a run did, for people: the Prefect artifact (markdown) and the terminal table (rich)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table

from flows.alerts import AlertReport
from warehouse.records import ArticleRecord, FeedPoll
from warehouse.store import RunCounts, article_status

MAX_LISTED_FAILURES = 20


@dataclass(frozen=True, slots=True)
class SourceLine:
    source_id: str
    outcome: str
    entries: int
    new: int
    note: str


@dataclass(frozen=True, slots=True)
class Failure:
    url: str
    status: str
    error: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    run_id: str
    duration_s: float
    counts: RunCounts
    sources: tuple[SourceLine, ...]
    failures: tuple[Failure, ...]
    warehouse: str
    stage_seconds: dict[str, float]  # poll, fetch, extract, load: time each stage was busy
    error: str | None = None  # why the run failed as a whole (every source failed)
    alerts: AlertReport = field(default_factory=AlertReport)  # filled in by the alert step, after the load

    @classmethod
    def build(
        cls,
        run_id: str,
        duration_s: float,
        counts: RunCounts,
        polls: Sequence[FeedPoll],
        records: Sequence[ArticleRecord],
        warehouse: Path,
        stage_seconds: dict[str, float],
        error: str | None = None,
    ) -> RunSummary:
        lines = tuple(
            SourceLine(
                source_id=p.source_id,
                outcome=p.outcome,
                entries=len(p.feed.entries) if p.feed else 0,
                new=p.new_entries,
                note=p.fetch.error or ((p.feed.bozo_reason or "") if p.feed else ""),
            )
            for p in polls
        )
        failures = tuple(
            Failure(
                url=r.pending.entry.link,
                status=article_status(r),
                error=(r.article.error if r.article else None) or r.fetch.error or "",
            )
            for r in records
            if article_status(r) != "ok"
        )
        return cls(run_id, duration_s, counts, lines, failures, str(warehouse), dict(stage_seconds), error)


def _headline(s: RunSummary) -> str:
    c = s.counts
    return (
        f"{c.sources_polled} sources polled ({c.feeds_not_modified} unchanged, {c.feeds_failed} failed); "
        f"articles: {c.articles_new} new, {c.articles_skipped} skipped, {c.articles_failed} failed; "
        f"found {c.tariffs_found} tariff figures, {c.deadlines_found} deadlines, {c.events_found} events; "
        f"{s.duration_s:.1f} s ("
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in s.stage_seconds.items() if seconds)
        + ")"
    )


def summary_markdown(s: RunSummary) -> str:
    rows = "\n".join(f"| {x.source_id} | {x.outcome} | {x.entries} | {x.new} | {x.note} |" for x in s.sources)
    text = (
        f"# tradewatch daily run `{s.run_id}`\n\n{_headline(s)}\n\n"
        f"| source | outcome | entries | new | note |\n|---|---|---|---|---|\n{rows}\n"
    )
    if s.error:
        text += f"\n**The run failed: {s.error}.**\n"
    if s.failures:
        listed = "\n".join(f"- {f.status}: {f.url} {f.error}" for f in s.failures[:MAX_LISTED_FAILURES])
        text += f"\n## Failed articles ({len(s.failures)})\n{listed}\n"
    a = s.alerts
    if a.created or a.error:
        listed = "\n".join(f"- {x.headline} ({x.status})" for x in a.created)
        text += f"\n## Deadline alerts ({len(a.created)} new)\n{listed}\n"
        text += f"\nalert step failed: {a.error}\n" if a.error else ""
    return text


def _alerts_line(a: AlertReport) -> str:
    if a.error:
        return f"[red]alert step failed (retried next run): {a.error}[/red]"
    channels = len({x.channel for x in a.created if x.channel})
    text = f"alerts: {len(a.created)} new"
    if a.created and not channels:
        text += " (no channel configured: recorded and printed only)"
    if a.sent or a.failed:
        text += f"; {a.sent} sent, {a.failed} failed (retried next run)"
    return text


def render(s: RunSummary, console: Console) -> None:
    table = Table(title="Sources", title_justify="left")
    for name in ("source", "outcome", "entries", "new", "note"):
        table.add_column(name, justify="right" if name in ("entries", "new") else "left")
    for x in s.sources:
        style = "" if x.outcome in ("ok", "not_modified") else "red"
        table.add_row(x.source_id, x.outcome, str(x.entries), str(x.new), x.note, style=style)
    parts: list[Table | str] = [table]
    if s.failures:
        failed = Table(title=f"Failed articles ({len(s.failures)})", title_justify="left")
        for name in ("status", "url", "error"):
            failed.add_column(name)
        for f in s.failures[:MAX_LISTED_FAILURES]:
            failed.add_row(f.status, f.url, f.error)
        parts.append(failed)
    if s.alerts.created:
        alerts = Table(title=f"Deadline alerts ({len(s.alerts.created)} new)", title_justify="left")
        for name in ("alert", "channel", "status"):
            alerts.add_column(name)
        for line in s.alerts.created:
            alerts.add_row(line.headline, line.channel or "-", line.status)
        parts.append(alerts)
    console.print(Group(*parts))
    console.print(f"[bold]{_headline(s)}[/bold]\n{_alerts_line(s.alerts)}")
    console.print(f"warehouse: {s.warehouse} (run {s.run_id})")
