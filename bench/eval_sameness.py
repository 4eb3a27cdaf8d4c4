"""`make eval`, part two: is "the same deadline" decided as a careful reader would?

Scored on hand-labelled pairs of deadline reports (tests/fixtures/deadline_sameness/, labelled by reading
the sentences and their articles, not by running the rules): each pair is grouped the way a run groups
reports (`extractors.deadline_groups.group_reports`, each report its own article), and "one group" is the
answer "same". A false "same" loses an alert (two deadlines alerted as one); a false "different" sends a
duplicate. Fails (exit 1) below FLOORS; tests/bench/test_eval_gate.py runs the same gate in `make test`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from extractors.deadline_groups import FoundDeadline, group_reports
from extractors.deadline_keys import deadline_key

PAIRS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "deadline_sameness" / "pairs.json"

# Pinned a little under the scores measured when they were set; raise them as the rules improve.
FLOORS = {"precision": 0.90, "recall": 0.58}


@dataclass
class SamenessReport:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    right: Counter[str] = field(default_factory=Counter)  # correct answers per kind and per corpus
    asked: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

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

    def below_floors(self) -> list[str]:
        scores = {"precision": self.precision, "recall": self.recall}
        return [f"{name} {scores[name]:.3f} < {low}" for name, low in FLOORS.items() if scores[name] < low]


def _report(side: dict[str, Any], article: str) -> FoundDeadline:
    start, end = date.fromisoformat(side["date_start"]), date.fromisoformat(side["date_end"])
    key = str(deadline_key(side["sentence"], start, end))
    published = datetime(2000, 1, 1, tzinfo=UTC)
    return FoundDeadline(key, start, end, side["sentence"], article, article, None, side["origin"], published)


def judged_same(pair: dict[str, Any]) -> bool:
    return len(group_reports([_report(pair["a"], "a"), _report(pair["b"], "b")])) == 1


def evaluate(pairs: list[dict[str, Any]]) -> SamenessReport:
    report = SamenessReport()
    for pair in pairs:
        said, truth = judged_same(pair), bool(pair["same"])
        kind = pair.get("kind", "")
        corpus = "samples" if pair["a"]["origin"].startswith("samples:") else "detection set + seed"
        for group in (f"kind {kind}", f"corpus {corpus}"):
            report.asked[group] += 1
            report.right[group] += said == truth
        if said and truth:
            report.tp += 1
        elif said:
            report.fp += 1
        elif truth:
            report.fn += 1
        else:
            report.tn += 1
        if said != truth:
            verdict = "merged, should not be" if said else "apart, should be one"
            report.errors.append(
                f"{verdict} [{kind}]: {pair['why']}\n    a: {pair['a']['sentence'][:110]}\n"
                f"    b: {pair['b']['sentence'][:110]}"
            )
    return report


def load_pairs(path: Path = PAIRS) -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--errors", action="store_true", help="list every wrong pair")
    args = parser.parse_args(argv)
    report = evaluate(load_pairs())
    total = report.tp + report.fp + report.fn + report.tn
    print(f"deadline sameness on {total} labelled pairs ({PAIRS.parent.name}/)")
    print(
        f"  'same': precision {report.precision:.3f}  recall {report.recall:.3f}  F1 {report.f1:.3f}"
        f"  (tp {report.tp}, fp {report.fp} = alerts lost, fn {report.fn} = duplicates, tn {report.tn})"
    )
    for group in sorted(report.asked):
        print(f"  {group:28} {report.right[group]:3}/{report.asked[group]:<3} right")
    if args.errors:
        print("\n".join(report.errors))
    failures = report.below_floors()
    for failure in failures:
        print(f"BELOW FLOOR: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
