"""`make bench`: the daily flow end to end on a served corpus, and the ceiling it is measured against.

1. Serve a deterministic corpus (bench.corpus: 2,000 articles in 40 RSS feeds) from 127.0.0.1, in a child
   process so the web server shares neither the flow's GIL nor its memory accounting.
2. Run the real daily flow (`flows.daily.daily`) on it into a fresh warehouse, with Prefect's ephemeral API
   server started from a temporary PREFECT_HOME: the flow's own time, the end-to-end time including importing
   and starting Prefect, per-stage busy time, counts, peak memory and warehouse size. Every article must load.
3. Run the flow again on the unchanged corpus: every feed answers 304 and nothing is fetched, which shows
   idempotence and the steady-state cost of a run with nothing new.
4. Unless --skip-baseline, fetch + extract the same URLs in a plain 2-process loop (bench.baseline), and
   print the flow's rate as a fraction of that ceiling.

Results are printed as a table and written to bench/out/results.json. Exit status 1 if any article failed
to load, the second run fetched anything, or the baseline could not fetch a page.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.baseline import WORKERS, BaselineResult, run_baseline
from bench.corpus import ServedCorpus, serve_corpus

OUT = Path(__file__).resolve().parent / "out" / "results.json"
MiB = 1024  # ru_maxrss and VmHWM are in KiB
OTHER_LOAD_WARNING = 0.05  # share of the machine's CPU used by others above which figures are flagged


def main(argv: Sequence[str] | None = None) -> int:
    args = _arguments(argv)
    work = Path(tempfile.mkdtemp(prefix="tradewatch-bench-"))
    # Registered before Prefect is imported, so it runs after Prefect's own exit hook has stopped its server.
    atexit.register(shutil.rmtree, work, ignore_errors=True)
    _isolate(work)
    console = Console()
    console.print(f"[bold]tradewatch bench[/bold]: {args.articles} articles in {args.feeds} feeds")
    with (
        Children() as children,
        serve_corpus(args.articles, args.feeds, seed=args.seed, synthetic=args.synthetic) as corpus,
    ):
        console.print(f"corpus: {corpus.description}")
        warehouse = work / "warehouse.duckdb"
        config = _write_config(work / "bench.toml", corpus, warehouse, args.batch_size)
        flow = _run_flows(config, warehouse, children, corpus.server_pid)
        baseline = None
        if not args.skip_baseline:
            console.print(f"baseline: plain httpx + trafilatura loop in {WORKERS} processes ...")
            baseline = _measure_baseline(corpus.article_urls, children, corpus.server_pid)
    results = _results(args, corpus, flow, baseline)
    _print(console, results)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    console.print(f"results written to {OUT}")
    return 1 if results["problems"] else 0


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles in the corpus (default 2000)")
    parser.add_argument("--feeds", type=int, default=40, help="feeds listing them (default 40)")
    parser.add_argument("--batch-size", type=int, default=200, help="pipeline.batch_size (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    parser.add_argument(
        "--synthetic", action="store_true", help="generated pages even if the real corpus exists"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the plain-loop ceiling")
    args = parser.parse_args(argv)
    if not 1 <= args.feeds <= args.articles:
        parser.error("need 1 <= --feeds <= --articles")
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    return args


def _isolate(work: Path) -> None:
    """A run independent of the caller's setup: Prefect's ephemeral server on a fresh home (set before
    Prefect is first imported, which reads it once), and no TRADEWATCH_* variable overriding the config."""
    for name in [n for n in os.environ if n.startswith("TRADEWATCH_")]:
        del os.environ[name]
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        os.environ.pop(name, None)
    os.environ["PREFECT_HOME"] = str(work / "prefect")
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"


def _write_config(path: Path, corpus: ServedCorpus, warehouse: Path, batch_size: int) -> Path:
    quote = json.dumps  # a JSON string is a valid TOML basic string
    sources = "".join(
        f'\n[[sources]]\nname = "Bench Feed {i + 1:02d}"\nfeed_url = {quote(url)}\nlanguage = "en"\n'
        for i, url in enumerate(corpus.feed_urls)
    )
    path.write_text(
        "sample = false\n\n"
        f"[warehouse]\npath = {quote(str(warehouse))}\n\n"
        '[http]\nconcurrency = 32\nper_host_delay_s = 0\nallowed_private_hosts = ["127.0.0.1"]\n\n'
        f"[pipeline]\nbatch_size = {batch_size}\nextract_workers = {WORKERS}\n" + sources,
        encoding="utf-8",
    )
    return path


def _run_flows(config: Path, warehouse: Path, children: Children, server_pid: int) -> dict[str, Any]:
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    from flows.daily import daily  # the first import of Prefect: only now that _isolate has set it up

    imported = time.monotonic()
    cpu_before = _cpu_clock(children)
    first = daily(config_path=str(config))
    first_done = time.monotonic()
    cpu_after = _cpu_clock(children)
    seen = cpu_after.children
    memory = {
        "main_peak_rss_before_flow_kb": rss_before_kb,
        "main_peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "pool_worker_peak_rss_kb": _largest(seen, "worker", exclude={server_pid}),
        "prefect_server_peak_rss_kb": _largest(seen, "prefect-server"),
        "corpus_server_peak_rss_kb": seen[server_pid].peak_kb if server_pid in seen else None,
        # As asked, but misleading on Linux: see Children.
        "rusage_children_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }
    stored_first = _warehouse_state(warehouse)
    second = daily(config_path=str(config))
    second_done = time.monotonic()
    return {
        "first": {
            "import_s": imported - started,
            "call_s": first_done - imported,
            "end_to_end_s": first_done - started,
            "flow_s": first.duration_s,
            "stage_seconds": dict(first.stage_seconds),
            "counts": asdict(first.counts),
            "failures": [asdict(f) for f in first.failures[:20]],
            "warehouse": stored_first,
            "cpu_seconds": _cpu_used(cpu_before, cpu_after, server_pid),
        },
        "second": {
            "call_s": second_done - first_done,
            "flow_s": second.duration_s,
            "stage_seconds": dict(second.stage_seconds),
            "counts": asdict(second.counts),
            "warehouse": _warehouse_state(warehouse),
        },
        "memory": memory,
    }


@dataclass(frozen=True, slots=True)
class _BaselineRun:
    result: BaselineResult
    cpu_seconds: dict[str, float]
    worker_peak_rss_kb: int | None


def _measure_baseline(urls: Sequence[str], children: Children, server_pid: int) -> _BaselineRun:
    before = _cpu_clock(children)
    result = run_baseline(urls)
    after = _cpu_clock(children)
    workers = {pid: c for pid, c in after.children.items() if pid not in before.children}
    return _BaselineRun(
        result, _cpu_used(before, after, server_pid), _largest(workers, "worker", exclude={server_pid})
    )


def _warehouse_state(path: Path) -> dict[str, Any]:
    """Size on disk (with any write-ahead log) and article rows by extraction status, read independently of
    the flow's own counts."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        rows = conn.execute(
            "select extraction_status, count(*) from articles group by 1 order by 1"
        ).fetchall()
    wal = path.with_name(path.name + ".wal")
    size = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return {"bytes": size, "articles_by_status": {str(status): int(n) for status, n in rows}}


# --- child processes: peak memory and CPU time ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChildSample:
    kind: str  # worker | prefect-server | resource-tracker | other
    peak_kb: int  # VmHWM
    cpu_s: float  # user + system, as of the last sample


class Children(AbstractContextManager["Children"]):
    """Peak RSS and CPU time of each of our child processes, by pid, sampled from /proc in a thread.

    getrusage(RUSAGE_CHILDREN).ru_maxrss cannot give a worker's peak: on Linux a child that execs
    (multiprocessing's spawn) keeps the high-water mark of the memory it was forked from, so every spawned
    worker would seem as large as this process was when it started them. VmHWM is the child's own
    high-water mark; sampling misses only what a child grows in its last interval. One pass reads ~100
    small files (~2 ms), so the sampling costs the flow under 1% of a core."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self._interval_s = interval_s
        self._seen: dict[int, ChildSample] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-children", daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Children:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()

    def snapshot(self) -> dict[int, ChildSample]:
        """Every child seen so far (living or not), after a fresh sample."""
        self._sample()
        with self._lock:
            return dict(self._seen)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self._interval_s)

    def _sample(self) -> None:
        me = str(os.getpid())
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # fields after the parenthesised name: state, ppid, ... utime and stime are the 12th and 13th
                fields = stat.read_text().rpartition(")")[2].split()
                if fields[1] != me:
                    continue
                cpu_s = (int(fields[11]) + int(fields[12])) / self._tick
                status = (stat.parent / "status").read_text()
                kind = _kind((stat.parent / "cmdline").read_bytes())
            except (OSError, IndexError, ValueError):
                continue  # a process that ended while we looked
            hwm = next(
                (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), None
            )
            if hwm is None:  # a zombie: its last sample stands
                continue
            pid = int(stat.parent.name)
            with self._lock:
                earlier = self._seen.get(pid)
                self._seen[pid] = ChildSample(kind, max(hwm, earlier.peak_kb if earlier else 0), cpu_s)


def _kind(cmdline: bytes) -> str:
    if b"uvicorn" in cmdline and b"prefect" in cmdline:
        return "prefect-server"
    if b"resource_tracker" in cmdline:
        return "resource-tracker"
    if b"spawn_main" in cmdline:
        return "worker"
    return "other"


def _largest(
    seen: dict[int, ChildSample], kind: str, exclude: set[int] | frozenset[int] = frozenset()
) -> int | None:
    return max((c.peak_kb for pid, c in seen.items() if c.kind == kind and pid not in exclude), default=None)


@dataclass(frozen=True, slots=True)
class _CpuClock:
    main_s: float
    reaped_s: float  # children that have exited and been waited for: exact, unlike their ru_maxrss
    children: dict[int, ChildSample]
    machine_busy_s: float  # every process on the machine, from /proc/stat


def _cpu_clock(children: Children) -> _CpuClock:
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    return _CpuClock(
        own.ru_utime + own.ru_stime, reaped.ru_utime + reaped.ru_stime, children.snapshot(), _machine_busy_s()
    )


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has been busy since boot: user, nice, system, irq, softirq, steal."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _cpu_used(before: _CpuClock, after: _CpuClock, server_pid: int) -> dict[str, float]:
    """CPU seconds spent between two clocks by this process, by the worker processes that ended between
    them (the pool's), by the corpus server, by Prefect's server, and by every other process on the
    machine: the benchmark shares its cores, and other load there slows whatever it measures."""

    def living(pid: int) -> float:
        start = before.children.get(pid)
        return after.children[pid].cpu_s - (start.cpu_s if start else 0.0)

    ours = {
        "main": after.main_s - before.main_s,
        "workers": after.reaped_s - before.reaped_s,
        "corpus_server": living(server_pid) if server_pid in after.children else 0.0,
        "prefect_server": sum(living(pid) for pid, c in after.children.items() if c.kind == "prefect-server"),
    }
    other = after.machine_busy_s - before.machine_busy_s - sum(ours.values())
    return {**ours, "other_processes": max(0.0, other)}


def _results(
    args: argparse.Namespace, corpus: ServedCorpus, flow: dict[str, Any], baseline: _BaselineRun | None
) -> dict[str, Any]:
    first, second = flow["first"], flow["second"]
    loaded = first["counts"]["articles_new"]
    # Every stage the flow timed (poll, fetch, extract, load, and any added later), in its order.
    stages = {
        name: {"seconds": s, "articles_per_s": _rate(loaded, s)} for name, s in first["stage_seconds"].items()
    }
    flow_rate = _rate(loaded, first["flow_s"])
    e2e_rate = _rate(loaded, first["end_to_end_s"])
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            **{p: version(p) for p in ("prefect", "trafilatura", "httpx", "duckdb")},
        },
        "options": {
            "articles": args.articles,
            "feeds": args.feeds,
            "batch_size": args.batch_size,
            "seed": args.seed,
        },
        "corpus": {
            "kind": corpus.kind,
            "description": corpus.description,
            "articles": len(corpus.article_urls),
            "feeds": len(corpus.feed_urls),
            "total_bytes": corpus.total_bytes,
            "median_page_bytes": corpus.median_bytes,
        },
        "flow": {
            **first,
            "articles_per_s": flow_rate,
            "end_to_end_articles_per_s": e2e_rate,
            "stages": stages,
        },
        "second_run": second,
        "memory": flow["memory"],
        "baseline": None,
        "ratio_flow_to_baseline": None,
        "ratio_end_to_end_to_baseline": None,
    }
    if baseline is not None:
        rate = baseline.result.pages_per_s
        results["baseline"] = {
            **asdict(baseline.result),
            "pages_per_s": rate,
            "cpu_seconds": baseline.cpu_seconds,
            "worker_peak_rss_kb": baseline.worker_peak_rss_kb,
        }
        results["ratio_flow_to_baseline"] = flow_rate / rate if rate else None
        results["ratio_end_to_end_to_baseline"] = e2e_rate / rate if rate else None
    results["problems"] = _problems(args, results, baseline.result if baseline else None)
    return results


def _problems(
    args: argparse.Namespace, results: dict[str, Any], baseline: BaselineResult | None
) -> list[str]:
    n, m = args.articles, args.feeds
    first, second = results["flow"], results["second_run"]
    c1, c2 = first["counts"], second["counts"]
    problems = []
    if c1["articles_new"] != n or c1["articles_failed"] or c1["feeds_failed"]:
        problems.append(
            f"first run: {c1['articles_new']} of {n} articles loaded ok, {c1['articles_failed']} failed, "
            f"{c1['feeds_failed']} feeds failed"
        )
    if first["warehouse"]["articles_by_status"] != {"ok": n}:
        problems.append(
            f"warehouse after the first run holds {first['warehouse']['articles_by_status']}, not {n} ok"
        )
    if c2["feeds_not_modified"] != m or c2["articles_new"] or c2["articles_failed"]:
        problems.append(
            f"second run: {c2['feeds_not_modified']} of {m} feeds unchanged, {c2['articles_new']} new and "
            f"{c2['articles_failed']} failed articles (expected all unchanged, none fetched)"
        )
    if second["warehouse"]["articles_by_status"] != first["warehouse"]["articles_by_status"]:
        problems.append(f"second run changed the warehouse: {second['warehouse']['articles_by_status']}")
    if baseline is not None and (baseline.failed_fetches or baseline.extracted != baseline.pages):
        problems.append(
            f"baseline: {baseline.failed_fetches} fetches failed, {baseline.extracted} of {baseline.pages} "
            "pages gave a body"
        )
    return problems


def _print(console: Console, r: dict[str, Any]) -> None:
    flow, second, memory, base = r["flow"], r["second_run"], r["memory"], r["baseline"]
    loaded = flow["counts"]["articles_new"]
    table = Table(title=f"tradewatch bench: {r['corpus']['articles']} articles, {r['corpus']['feeds']} feeds")
    table.add_column("measure")
    table.add_column("seconds", justify="right")
    table.add_column("articles/s", justify="right")
    table.add_column("note")
    table.add_row(
        "flow (RunSummary.duration_s)",
        _s(flow["flow_s"]),
        _f(flow["articles_per_s"]),
        f"{loaded} articles loaded; pool workers {_per_item_ms(flow['cpu_seconds']['workers'], loaded)}",
    )
    table.add_row(
        "end to end",
        _s(flow["end_to_end_s"]),
        _f(flow["end_to_end_articles_per_s"]),
        f"import Prefect {flow['import_s']:.1f} s + daily() {flow['call_s']:.1f} s (server start-up, flow)",
    )
    table.add_section()
    for name, stage in flow["stages"].items():
        share = stage["seconds"] / flow["flow_s"] if flow["flow_s"] else 0.0
        table.add_row(
            f"  stage {name}",
            _s(stage["seconds"]),
            _f(stage["articles_per_s"] or None),  # a stage the flow names but did not time
            f"{share:.0%} of flow",
        )
    table.add_section()
    c2 = second["counts"]
    table.add_row(
        "second run, nothing new (flow)",
        _s(second["flow_s"]),
        "",
        f"{c2['feeds_not_modified']}/{c2['sources_polled']} feeds 304, {c2['articles_new']} fetched; "
        f"daily() {second['call_s']:.1f} s",
    )
    if base is not None:
        table.add_section()
        table.add_row(
            f"baseline: httpx + trafilatura, {base['workers']} processes",
            _s(base["seconds"]),
            _f(base["pages_per_s"]),
            f"{base['extracted']}/{base['pages']} pages with a body; "
            f"workers {_per_item_ms(base['cpu_seconds']['workers'], base['pages'])}",
        )
        table.add_row("flow / baseline", "", _f(r["ratio_flow_to_baseline"], 2), "articles/s ÷ pages/s")
        table.add_row("end to end / baseline", "", _f(r["ratio_end_to_end_to_baseline"], 2), "")
    console.print(table)

    c1 = flow["counts"]
    console.print(
        f"counts: {c1['sources_polled']} feeds polled ({c1['feeds_failed']} failed), "
        f"{c1['entries_seen']} entries, "
        f"{c1['articles_new']} new, {c1['articles_skipped']} skipped, {c1['articles_failed']} failed"
    )
    console.print(
        f"memory (peak RSS): main {_mib(memory['main_peak_rss_kb'])} "
        f"(before the flow {_mib(memory['main_peak_rss_before_flow_kb'])}), "
        f"largest extraction worker {_mib(memory['pool_worker_peak_rss_kb'])}, "
        f"Prefect server {_mib(memory['prefect_server_peak_rss_kb'])}, "
        f"corpus server {_mib(memory['corpus_server_peak_rss_kb'])}"
        + (f", baseline worker {_mib(base['worker_peak_rss_kb'])}" if base else "")
    )
    cores = r["machine"]["cpus"] or 1
    phases = [("daily()", flow["cpu_seconds"], flow["call_s"])]
    if base is not None:
        phases.append(("the baseline", base["cpu_seconds"], base["seconds"]))
    for phase, cpu, wall_s in phases:
        console.print(f"CPU seconds in {phase}: {_cpu_note(cpu, wall_s, cores)}")
        if cpu["other_processes"] > OTHER_LOAD_WARNING * wall_s * cores:
            console.print(
                f"[yellow]other processes used {cpu['other_processes']:.1f} CPU-s during {phase}: "
                "its figures are lower than on an idle machine[/yellow]"
            )
    console.print(
        f"warehouse: {flow['warehouse']['bytes'] / MiB / MiB:.1f} MiB for {loaded} articles; "
        f"corpus {r['corpus']['total_bytes'] / MiB / MiB:.0f} MiB, "
        f"median page {r['corpus']['median_page_bytes'] / 1000:.0f} KB"
    )
    console.print(
        "[dim]stages overlap (batch k+1 is fetched while batch k is extracted), so their seconds add up "
        "to more than the flow's[/dim]"
    )
    for failure in flow["failures"]:
        console.print(f"[red]failed[/red] {failure['status']}: {failure['url']} {failure['error']}")
    for problem in r["problems"]:
        console.print(f"[bold red]problem:[/bold red] {problem}")


def _cpu_note(cpu: dict[str, float], wall_s: float, cores: int) -> str:
    spent = ", ".join(f"{name.replace('_', ' ')} {seconds:.1f}" for name, seconds in cpu.items())
    return f"{spent} (of {wall_s:.1f} s x {cores} cores = {wall_s * cores:.0f} available)"


def _per_item_ms(cpu_s: float, count: int) -> str:
    return f"{cpu_s / count * 1000:.0f} ms CPU each" if count else "n/a"


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else 0.0


def _s(seconds: float) -> str:
    return f"{seconds:.1f}"


def _f(rate: float | None, digits: int = 1) -> str:
    return "n/a" if rate is None else f"{rate:.{digits}f}"


def _mib(kb: int | None) -> str:
    return "n/a" if kb is None else f"{kb / MiB:.0f} MiB"


if __name__ == "__main__":
    sys.exit(main())
