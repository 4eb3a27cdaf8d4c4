"""The detection evaluation as a CI gate: `make eval`'s floors hold, and the user's seed article passes."""

from __future__ import annotations

import pytest

from bench.eval_detection import FLOORS, SEED, dev_set, evaluate, seed_check


def test_detection_scores_stay_above_their_floors() -> None:
    report = evaluate(dev_set())
    assert report.passages >= 60
    assert set(FLOORS) == {"tariffs", "deadlines", "events"}
    assert report.below_floors() == []


def test_the_seed_article_is_fully_understood() -> None:
    if not (SEED / "gold.json").exists():
        pytest.skip("../shared/seed is not beside this checkout")
    assert seed_check() == []
