"""`make chaos`: kill `tradewatch run` at random moments, then check that nothing was lost or doubled.

1. A reference run: `tradewatch run` as a subprocess, never killed, on a fresh warehouse. Its output's
   timeline (Prefect's task-run lines) tells when each phase starts and how long it lasts.
2. `--kills` runs (20) on a second warehouse, each SIGKILLed at a random moment of a phase chosen in turn
   (process start, Prefect server start, poll, queue, fetch, extract, load, alerts, finish), seeded and
   printed; then one clean run. The feeds grow from run to run, as real feeds do, so every run has
   work to be killed in.
3. The two warehouses must agree: the same articles with the same text hashes, the same detections per
   article, no duplicate by key or by URL, an empty frontier, no run left `running`; every alert of the
   reference raised and delivered; a digest sent again at most once per kill (its alerts then twice).
4. Two runs started at once: one writes, the other waits its `run_wait_s` and exits 75; the file is
   intact.

Everything is served from 127.0.0.1 by this process: the bundled sample news (with its deadlines, for
the alerts), real news pages from ../shared/corpora (synthetic ones without it), and a webhook receiver
that is the alert channel. Exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb

from bench.corpus import RSS_TYPE, Corpus, _rss, build_corpus, feed_path
from flows.local_server import Page, serve
from flows.sample_news import render_sample, sample_sources

ROOT = Path(__file__).resolve().parents[1]
TRADEWATCH = Path(sys.executable).with_name("tradewatch")

# (phase, the output line that opens it); a phase ends where the next one's line appears.
PHASES: tuple[tuple[str, str | None], ...] = (
    ("start", None),
    ("prefect-server", "Starting temporary server"),
    ("poll", "Beginning flow run"),
    ("queue", "Task run 'poll-feeds"),
    ("fetch", "Task run 'due-articles"),
    ("extract", "Task run 'fetch-articles"),
    ("load", "Task run 'extract-and-detect"),
    ("alerts", "Task run 'load-articles"),
    ("finish", "Task run 'alert-deadlines"),
)


@dataclass
class Receiver:
    """The alert channel: records every digest POSTed to it, per path."""

    url: str = ""
    digests: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliveries(self, path: str) -> Deliveries:
        with self.lock:
            bodies = list(self.digests.get(path, []))
        per_alert: Counter[str] = Counter()
        resent = 0
        for body in bodies:
            alerts = {m.split("\n", 1)[0] for m in body.split("\n\n") if m.strip()}
            resent += any(per_alert[a] for a in alerts)
            per_alert.update(alerts)
        return Deliveries(per_alert, len(bodies), resent)


@dataclass(frozen=True)
class Deliveries:
    """What a channel received. A run killed after a digest went out and before it was marked sent sends
    it again on the next run: one resent digest per such kill, each of its alerts twice (the outbox's
    promise: at most one duplicate per crash, never a lost alert)."""

    per_alert: Counter[str]  # alert headline -> times delivered
    digests: int
    resent: int  # digests that repeat an alert already delivered

    @property
    def duplicated_alerts(self) -> int:
        return sum(n - 1 for n in self.per_alert.values() if n > 1)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            with state.lock:
                state.digests.setdefault(self.path, []).append(body["message"])
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Site:
    """The news: the sample's three outlets, plus real pages in feeds that show `visible` entries."""

    base: str
    pages: dict[str, Page]
    corpus: Corpus
    sources_toml: str

    def show(self, fraction: float) -> None:
        for j, items in enumerate(self.corpus.feeds):
            shown = [self.corpus.articles[i] for i in items[: math.ceil(len(items) * fraction)]]
            self.pages[feed_path(j)] = Page(_rss(j, shown, self.base), RSS_TYPE)


@contextmanager
def site(articles: int, feeds: int, seed: int) -> Iterator[Site]:
    pages: dict[str, Page] = {}
    with serve(pages) as base:
        today = datetime.now(UTC).date()
        pages.update(render_sample(today, base))
        corpus = build_corpus(articles, feeds, seed=seed)
        pages.update(corpus.article_pages())
        entries = [
            f'[[sources]]\nname = "{s.name}"\nfeed_url = "{s.feed_url}"\n'
            + (f'language = "{s.language}"\n' if s.language else "")
            for s in sample_sources(base)
        ]
        entries += [
            f'[[sources]]\nname = "Corpus {j + 1:02d}"\nfeed_url = "{base}{feed_path(j)}"\n'
            for j in range(feeds)
        ]
        news = Site(base, pages, corpus, "".join(entries))
        news.show(1.0)
        yield news


def write_config(folder: Path, name: str, news: Site, hook: str, run_wait_s: float) -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        f'[warehouse]\npath = "{folder / name}.duckdb"\nlock_timeout_s = 60\nrun_wait_s = {run_wait_s}\n'
        '[http]\ntimeout_s = 10\nretries = 1\nper_host_delay_s = 0\nallowed_private_hosts = ["127.0.0.1"]\n'
        f'[alerts]\nurls = ["json://{hook}/{name}"]\n' + news.sources_toml
    )
    return path


@dataclass
class RunOutcome:
    code: int | None  # None: killed
    seconds: float
    marks: dict[str, float]  # phase -> when its line appeared, seconds after start
    output: str


def start(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(TRADEWATCH), "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def watch(process: subprocess.Popen[str], marks: dict[str, float], lines: list[str], t0: float) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        for phase, opener in PHASES:
            if opener and opener in line and phase not in marks:
                marks[phase] = time.monotonic() - t0


def run_once(
    config: Path, env: dict[str, str], kill: tuple[str, float] | None = None, limit_s: float = 600
) -> RunOutcome:
    """Run to the end, or SIGKILL it `delay` seconds into `phase` (if it gets there)."""
    t0 = time.monotonic()
    process = start(config, env)
    marks: dict[str, float] = {"start": 0.0}
    lines: list[str] = []
    reader = threading.Thread(target=watch, args=(process, marks, lines, t0), daemon=True)
    reader.start()
    killed = False
    while process.poll() is None and time.monotonic() - t0 < limit_s:
        if kill is not None and kill[0] in marks and time.monotonic() - t0 >= marks[kill[0]] + kill[1]:
            process.send_signal(signal.SIGKILL)
            killed = True
            break
        time.sleep(0.01)
    if process.poll() is None and not killed:
        process.kill()
        raise SystemExit(f"chaos: a run took over {limit_s:.0f} s:\n{''.join(lines)[-3000:]}")
    process.wait()
    reader.join(10)
    return RunOutcome(None if killed else process.returncode, time.monotonic() - t0, marks, "".join(lines))


def phase_durations(ref: RunOutcome) -> dict[str, float]:
    seen = sorted((t, phase) for phase, t in ref.marks.items())
    ends = [t for t, _ in seen[1:]] + [ref.seconds]
    return {phase: max(end - t, 0.05) for (t, phase), end in zip(seen, ends, strict=True)}


def phase_at(marks: dict[str, float], seconds: float) -> str:
    reached = [(t, phase) for phase, t in marks.items() if t <= seconds]
    return max(reached)[1] if reached else "start"


# --- what the warehouses hold ----------------------------------------------------------------------------


def snapshot(db: Path) -> dict[str, Any]:
    conn = duckdb.connect(str(db), read_only=True)
    try:

        def rows(query: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in conn.execute(query).fetchall()]

        per_article = {
            table: Counter(dict(rows(f"select article_id, count(*) from {table} group by 1")))
            for table in ("tariff_measures", "deadlines", "events", "event_parties")
        }
        return {
            "articles": set(rows("select article_id, text_sha256, extraction_status from articles")),
            "detections": per_article,
            "duplicate_urls": rows(
                "select canonical_url, count(*) from articles group by 1 having count(*) > 1"
            ),
            "frontier": rows("select count(*) from frontier")[0][0],
            "running": rows("select count(*) from runs where status = 'running'")[0][0],
            "runs": Counter(dict(rows("select status, count(*) from runs group by 1"))),
            "alerts": set(rows("select kind, deadline_key, date_start, date_end from alerts")),
            "unsent": rows("select kind, deadline_key, status from alerts where status <> 'sent'"),
            "headlines": {r[0] for r in rows("select split_part(message, chr(10), 1) from alerts")},
        }
    finally:
        conn.close()


def compare(ref: dict[str, Any], got: dict[str, Any], delivered: Deliveries, kills: int) -> list[str]:
    problems = []
    lost = ref["articles"] - got["articles"]
    extra = got["articles"] - ref["articles"]
    if lost or extra:
        problems.append(f"articles differ: {len(lost)} missing or changed, {len(extra)} extra")
    for table, counts in ref["detections"].items():
        if counts != got["detections"][table]:
            problems.append(
                f"{table}: {sum(got['detections'][table].values())} rows, reference {sum(counts.values())}"
            )
    if got["duplicate_urls"]:
        problems.append(f"stories stored twice: {got['duplicate_urls'][:3]}")
    if got["frontier"]:
        problems.append(f"{got['frontier']} articles still queued after the clean run")
    if got["running"]:
        problems.append(f"{got['running']} runs left 'running'")
    if ref["alerts"] != got["alerts"]:
        problems.append(
            f"alerts differ: missing {sorted(ref['alerts'] - got['alerts'])[:3]}, "
            f"extra {sorted(got['alerts'] - ref['alerts'])[:3]}"
        )
    if got["unsent"]:
        problems.append(f"alerts not sent: {got['unsent'][:3]}")
    never = [h for h in got["headlines"] if not delivered.per_alert[h]]
    if never:
        problems.append(f"{len(never)} alerts never delivered, e.g. {never[0]!r}")
    if delivered.resent > kills:
        problems.append(f"{delivered.resent} digests sent again for {kills} kills")
    if any(n - 1 > delivered.resent for n in delivered.per_alert.values()):
        problems.append("an alert was delivered more often than its digest was resent")
    return problems


# --- the experiment ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("CHAOS_SEED") or 0) or None)
    parser.add_argument("--articles", type=int, default=60, help="real pages beside the sample's 34")
    parser.add_argument("--feeds", type=int, default=3)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10**6)
    rng = random.Random(seed)
    print(f"chaos: seed {seed} (again: make chaos CHAOS_SEED={seed})", flush=True)

    work = Path(tempfile.mkdtemp(prefix="tradewatch-chaos-"))
    env = {
        **os.environ,
        "PREFECT_HOME": str(work / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "COLUMNS": "160",
    }
    env.pop("PREFECT_API_URL", None)
    env.pop("TRADEWATCH_CONFIG", None)
    with receiver() as hook, site(args.articles, args.feeds, seed) as news:
        print(
            f"chaos: serving the sample + {len(news.corpus.articles)} {news.corpus.kind} pages on {news.base}"
        )
        reference = run_once(write_config(work, "reference", news, hook.url, 60), env)
        if reference.code != 0:
            print(reference.output[-3000:])
            return fail("the reference run failed")
        durations = phase_durations(reference)
        print(
            f"chaos: reference run {reference.seconds:.1f} s; phases: "
            + ", ".join(f"{p} {d:.1f} s" for p, d in durations.items())
        )

        config = write_config(work, "chaos", news, hook.url, 60)
        phases = [p for p, _ in PHASES if p in durations]
        kills, launches, finished = 0, 0, 0
        killed_in: Counter[str] = Counter()
        while kills < args.kills and launches < 3 * args.kills:
            news.show(min(1.0, (launches + 1) / args.kills))  # new articles for every run to be killed in
            phase = phases[launches % len(phases)]
            delay = rng.uniform(0, durations[phase])
            launches += 1
            outcome = run_once(config, env, kill=(phase, delay))
            if outcome.code is None:
                kills += 1
                where = phase_at(outcome.marks, outcome.seconds)
                killed_in[where] += 1
                print(
                    f"chaos: run {launches:2d} killed {delay:5.2f} s into {phase:<14} (in {where}) "
                    f"at {outcome.seconds:5.1f} s"
                )
            else:
                finished += 1
                print(f"chaos: run {launches:2d} ended before its kill in {phase} (exit {outcome.code})")
                if outcome.code != 0:
                    print(outcome.output[-3000:])
                    return fail(f"run {launches} exited {outcome.code}")
        news.show(1.0)
        clean = run_once(config, env)
        if clean.code != 0:
            print(clean.output[-3000:])
            return fail(f"the clean run exited {clean.code}")

        ref_state, got = snapshot(work / "reference.duckdb"), snapshot(work / "chaos.duckdb")
        delivered = hook.deliveries("/chaos")
        problems = compare(ref_state, got, delivered, kills)
        print(
            f"chaos: {kills} kills ({', '.join(f'{p} {n}' for p, n in killed_in.most_common())}), "
            f"{finished} runs ended before their kill, then a clean run"
        )
        print(
            f"chaos: articles {len(got['articles'])} (reference {len(ref_state['articles'])}), "
            f"lost {len(ref_state['articles'] - got['articles'])}, duplicated {len(got['duplicate_urls'])}; "
            f"alerts {len(got['alerts'])} (reference {len(ref_state['alerts'])}), "
            f"{delivered.digests} digests ({delivered.resent} sent again after a kill between send and mark, "
            f"{delivered.duplicated_alerts} alerts in them twice); runs {dict(got['runs'])}"
        )
        problems += two_at_once(work, news, hook, env)
    if problems:
        return fail("; ".join(problems))
    print("chaos: all checks hold")
    return 0


def two_at_once(work: Path, news: Site, hook: Receiver, env: dict[str, str]) -> list[str]:
    """Two runs started together on a fresh warehouse: one writes, the other exits 75 after its wait."""
    config = write_config(work, "pair", news, hook.url, 2)
    first, second = start(config, env), start(config, env)
    outputs = [p.communicate(timeout=600)[0] for p in (first, second)]
    codes = sorted(p.returncode for p in (first, second))
    print(f"chaos: two runs at once exited {codes}")
    problems = []
    if codes != [0, 75]:
        problems.append(f"two runs at once exited {codes}")
    refused = [o for o, p in zip(outputs, (first, second), strict=True) if p.returncode == 75]
    if refused and "another tradewatch run" not in refused[0]:
        problems.append(f"the refused run did not say why: {refused[0][-500:]!r}")
    state = snapshot(work / "pair.duckdb")
    reference = snapshot(work / "reference.duckdb")
    if state["articles"] != reference["articles"] or state["duplicate_urls"]:
        problems.append("the two-runs warehouse differs from the reference")
    return problems


def fail(reason: str) -> int:
    print(f"chaos: FAILED: {reason}", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
