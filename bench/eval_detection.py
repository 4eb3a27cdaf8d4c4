"""`make eval`: detection scored against labelled passages, with pinned floors.

Three sets, reported side by side:

* `dev`: 98 passages written for the detector (tests/fixtures/detection/); the rules were tuned on them;
* `tune`: real news rewritten in our words (tests/fixtures/real_news/tune/), for developing rules;
* `test`: real news from other outlets (tests/fixtures/real_news/test/), never looked at while writing
  rules. Its score is the published figure, and its floors are the ones that guard `make test`.

Tariff figures match on rate, deadlines on their date range, events on type and parties (as a set);
matching is one-to-one within a passage. Field accuracy is over matched tariff pairs. The run fails
(exit 1) when a score drops below its floor in FLOORS, and tests/bench/test_eval_gate.py runs the same
gate in `make test`, so CI catches a rule change that costs accuracy. `-v` lists the misses and false
alarms of `dev` and `tune` only: the test part is not for reading.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from extractors.detect.detector import detect
from extractors.detect.models import as_json

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "fixtures" / "detection"
REAL_NEWS = ROOT / "tests" / "fixtures" / "real_news"
SETS = {"dev": DEV_SET, "tune": REAL_NEWS / "tune", "test": REAL_NEWS / "test"}
READABLE = ("dev", "tune")  # whose misses -v prints
SEED = ROOT.parent / "shared" / "seed"
KINDS = ("tariffs", "deadlines", "events")

# Pinned a little under the scores measured when they were set; raise them as the rules improve.
FLOORS = {
    "dev": {"tariffs": 0.95, "deadlines": 0.93, "events": 0.88},
    # Measured 0.793 / 0.791 / 0.423 on 137 passages when the corpus was made (issue 9's starting point).
    "test": {"tariffs": 0.77, "deadlines": 0.76, "events": 0.40},
}


def is_test_outlet(outlet: str) -> bool:
    """The split of the real-news corpus, by outlet so that no outlet's style is on both sides: fixed by a
    hash of the name (about two outlets in five), not chosen by anyone who has read the passages."""
    return int(hashlib.sha256(outlet.strip().lower().encode()).hexdigest()[:8], 16) % 5 in (0, 1)


TARIFF_FIELDS = ("previous_rate_pct", "imposing", "target", "effective_date", "action", "products")
Item = dict[str, Any]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    passages: int = 0
    scores: dict[str, Score] = field(default_factory=lambda: {k: Score() for k in KINDS})
    fields: dict[str, Counter[bool]] = field(default_factory=lambda: {f: Counter() for f in TARIFF_FIELDS})
    by_genre: dict[str, dict[str, Score]] = field(
        default_factory=lambda: defaultdict(lambda: {k: Score() for k in KINDS})
    )

    def below_floors(self, floors: dict[str, float]) -> list[str]:
        return [
            f"{kind} F1 {self.scores[kind].f1:.3f} < floor {floor:.3f}"
            for kind, floor in floors.items()
            if self.scores[kind].f1 < floor
        ]


def _tariff_key(item: Item) -> Any:
    return float(item["rate_pct"])


def _deadline_key(item: Item) -> Any:
    return (item["date_start"], item["date_end"])


def _event_key(item: Item) -> Any:
    return (item["type"], frozenset(item["parties"]))


KEYS: dict[str, Callable[[Item], Any]] = {
    "tariffs": _tariff_key,
    "deadlines": _deadline_key,
    "events": _event_key,
}


def match(
    gold: list[Item], found: list[Item], key: Callable[[Item], Any]
) -> tuple[list[tuple[Item, Item]], list[Item], list[Item]]:
    """One-to-one pairs on equal keys; for tariffs, a found figure with the gold target is preferred."""
    pairs: list[tuple[Item, Item]] = []
    left = list(found)
    missed = []
    for g in gold:
        candidates = [f for f in left if key(f) == key(g)]
        if not candidates:
            missed.append(g)
            continue
        best = next((f for f in candidates if f.get("target") == g.get("target")), candidates[0])
        left.remove(best)
        pairs.append((g, best))
    return pairs, missed, left


def _same(field_name: str, gold: Item, found: Item) -> bool:
    if field_name == "products":
        return sorted(gold["products"]) == sorted(found["products"])
    if field_name == "previous_rate_pct" and gold[field_name] is not None and found[field_name] is not None:
        return float(gold[field_name]) == float(found[field_name])
    return bool(gold[field_name] == found[field_name])


def evaluate(passages: Iterable[tuple[str, str, Item]]) -> Report:
    """`passages`: (name, text, gold with `published`)."""
    report = Report()
    for name, text, gold in passages:
        report.passages += 1
        found = as_json(detect(text, date.fromisoformat(gold["published"])))
        for kind, key in KEYS.items():
            pairs, missed, extra = match(gold.get(kind, []), found[kind], key)
            for score in (report.scores[kind], report.by_genre[gold.get("genre", "?")][kind]):
                score.tp += len(pairs)
                score.fn += len(missed)
                score.fp += len(extra)
            report.scores[kind].misses += [f"{name}: {key(g)} | {g['sentence'][:110]}" for g in missed]
            report.scores[kind].false_alarms += [f"{name}: {key(f)} | {f['sentence'][:110]}" for f in extra]
            if kind == "tariffs":
                for g, f in pairs:
                    for field_name in TARIFF_FIELDS:
                        report.fields[field_name][_same(field_name, g, f)] += 1
    return report


def passages(directory: Path = DEV_SET) -> list[tuple[str, str, Item]]:
    return [
        (path.stem, path.read_text(encoding="utf-8"), json.loads(path.with_suffix(".json").read_text()))
        for path in sorted(directory.glob("*.txt"))
    ]


def seed_check(seed: Path = SEED) -> list[str]:
    """The user's example article: every gold tariff and deadline found, the 70% share not a tariff.
    Returns the problems (empty when it passes)."""
    gold = json.loads((seed / "gold.json").read_text())
    text = (seed / gold["file"]).read_text(encoding="utf-8")
    found = as_json(detect(text, date.fromisoformat(gold["published"])))
    problems = []
    for kind in ("tariffs", "deadlines"):
        _, missed, _ = match(gold[kind], found[kind], KEYS[kind])
        problems += [f"seed {kind} missed: {KEYS[kind](g)} ({g['quote'][:80]})" for g in missed]
    rates = {float(t["rate_pct"]) for t in found["tariffs"]}
    problems += [
        f"seed: {n['value_pct']}% reported as a tariff"
        for n in gold["not_tariffs"]
        if n["value_pct"] in rates
    ]
    return problems


def _print(reports: dict[str, Report], verbose: bool) -> None:
    sizes = ", ".join(f"{name} {r.passages}" for name, r in reports.items())
    print(f"detection on labelled passages ({sizes}); F1 (precision / recall), floor in brackets\n")
    print(f"{'':12}" + "".join(f"{name:>26}" for name in reports))
    for kind in KINDS:
        cells = []
        for name, r in reports.items():
            s = r.scores[kind]
            floor = FLOORS.get(name, {}).get(kind)
            pinned = f" [{floor:.2f}]" if floor is not None else ""
            cells.append(f"{s.f1:.3f} ({s.precision:.2f}/{s.recall:.2f}){pinned}")
        print(f"{kind:12}" + "".join(f"{c:>26}" for c in cells))
    print("\ntariff field accuracy over matched figures")
    for field_name in TARIFF_FIELDS:
        cells = []
        for r in reports.values():
            counts = r.fields[field_name]
            total = counts[True] + counts[False]
            cells.append(f"{counts[True] / total if total else 0:.3f} ({counts[True]}/{total})")
        print(f"  {field_name:18}" + "".join(f"{c:>24}" for c in cells))
    if "tune" in reports and "test" in reports:
        gaps = {k: reports["tune"].scores[k].f1 - reports["test"].scores[k].f1 for k in KINDS}
        flagged = [f"{k} {g:+.3f}" for k, g in gaps.items() if abs(g) > 0.05]
        print("\ntune - test F1: " + ", ".join(f"{k} {g:+.3f}" for k, g in gaps.items()))
        if flagged:
            print("  a gap over 0.05 is a finding: " + ", ".join(flagged))
    for name, r in reports.items():
        print(f"\nF1 by genre ({name})")
        for genre, scores in sorted(r.by_genre.items()):
            print(f"  {genre:14}" + "".join(f"{k} {s.f1:.2f}  " for k, s in scores.items()))
    if verbose:
        for name in READABLE:
            for kind, s in reports[name].scores.items():
                print(f"\n{name} {kind}: missed ({len(s.misses)})\n  " + "\n  ".join(s.misses))
                print(
                    f"{name} {kind}: false alarms ({len(s.false_alarms)})\n  " + "\n  ".join(s.false_alarms)
                )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="list every miss and false alarm (dev, tune)"
    )
    parser.add_argument("--json", type=Path, help="also write the scores as JSON to this file")
    args = parser.parse_args(argv)
    reports = {name: evaluate(passages(folder)) for name, folder in SETS.items()}
    _print(reports, args.verbose)
    problems = [f"{name}: {p}" for name, floors in FLOORS.items() for p in reports[name].below_floors(floors)]
    if (SEED / "gold.json").exists():
        seed_problems = seed_check()
        print(
            "\nseed article (../shared/seed):",
            "all gold tariffs and deadlines found" if not seed_problems else "",
        )
        problems += seed_problems
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    name: {
                        k: {"precision": s.precision, "recall": s.recall, "f1": s.f1}
                        for k, s in r.scores.items()
                    }
                    for name, r in reports.items()
                }
            )
        )
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
