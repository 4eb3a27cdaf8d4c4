"""The evaluations as CI gates: `make eval`'s floors hold (detection, deadline sameness); the seed passes."""

from __future__ import annotations

import pytest

from bench import eval_sameness as sameness
from bench.eval_detection import FLOORS, SEED, SETS, evaluate, passages, seed_check


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_detection_scores_stay_above_their_floors(name: str) -> None:
    """`test` (real news never read while writing rules) is the published figure; `dev` keeps what the
    rules were built on from sliding."""
    report = evaluate(passages(SETS[name]))
    assert report.passages >= 98
    assert set(FLOORS[name]) == {"tariffs", "deadlines", "events"}
    assert report.below_floors(FLOORS[name]) == []


def test_the_seed_article_is_fully_understood() -> None:
    if not (SEED / "gold.json").exists():
        pytest.skip("../shared/seed is not beside this checkout")
    assert seed_check() == []


def test_deadline_sameness_stays_above_its_floors() -> None:
    report = sameness.evaluate(sameness.load_pairs())
    assert report.tp + report.fn >= 40 and report.fp + report.tn >= 60  # both answers are asked often
    assert report.below_floors() == []
