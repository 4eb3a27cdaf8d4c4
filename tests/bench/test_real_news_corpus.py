"""The real-news corpus keeps its shape: every label well formed and quoting its passage, and the split by
outlet that makes the test part held out (tests/fixtures/real_news/README.md)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pycountry
import pytest

from bench.eval_detection import REAL_NEWS, is_test_outlet

PARTS = ("tune", "test")
KINDS = {"wire", "government", "trade_press", "law_firm", "non_us", "negative"}
GENRES = {"wire", "press_release", "analysis", "non_trade"}
CODES = {c.alpha_3 for c in pycountry.countries} | {"EUU"}
EVENT_CAMEO = {
    "talks": "046",
    "agreement": "057",
    "truce": "085",
    "tariff_action": "163",
    "export_control": "163",
    "retaliation": "163",
    "legal_ruling": "116",
    "statement": "010",
}


def _passages() -> list[tuple[str, Path, dict[str, object], str]]:
    found = []
    for part in PARTS:
        for path in sorted((REAL_NEWS / part).glob("*.json")):
            found.append(
                (
                    part,
                    path,
                    json.loads(path.read_text(encoding="utf-8")),
                    path.with_suffix(".txt").read_text(encoding="utf-8"),
                )
            )
    return found


PASSAGES = _passages()


def test_the_corpus_is_as_large_and_varied_as_promised() -> None:
    assert len(PASSAGES) >= 300
    parts = Counter(part for part, *_ in PASSAGES)
    assert parts["test"] >= 100
    kinds = Counter(gold["outlet_kind"] for _, _, gold, _ in PASSAGES)
    assert set(kinds) == KINDS and kinds["negative"] >= 40
    assert len({gold["outlet"] for _, _, gold, _ in PASSAGES}) >= 40
    years = {gold["year"] for _, _, gold, _ in PASSAGES}
    assert set(range(2018, 2027)) <= years


def test_the_split_is_by_outlet_and_follows_the_rule() -> None:
    """No outlet on both sides, and each passage where the rule puts its outlet: moving a passage to the
    tune part (to read it) shows here."""
    sides: dict[str, set[str]] = {}
    for part, path, gold, _ in PASSAGES:
        outlet = str(gold["outlet"])
        sides.setdefault(outlet, set()).add(part)
        assert (part == "test") == is_test_outlet(outlet), path.name
    assert all(len(s) == 1 for s in sides.values())


@pytest.mark.parametrize(("part", "path", "gold", "text"), PASSAGES, ids=[p.stem for _, p, _, _ in PASSAGES])
def test_each_label_is_well_formed_and_quotes_its_passage(
    part: str, path: Path, gold: dict[str, Any], text: str
) -> None:
    published = date.fromisoformat(gold["published"])
    assert gold["year"] == published.year
    assert gold["outlet_kind"] in KINDS and gold["genre"] in GENRES
    assert str(gold["url"]).startswith(("http://", "https://"))
    for kind in ("tariffs", "deadlines", "events", "not_tariffs"):
        for item in gold[kind]:
            assert item["sentence"] in text, (kind, item["sentence"][:80])
    for t in gold["tariffs"]:
        assert t["imposing"] in CODES | {None} and t["target"] in CODES | {None}
        assert isinstance(t["rate_pct"], int | float) and isinstance(t["products"], list)
        if t["effective_date"]:
            date.fromisoformat(t["effective_date"])
    for d in gold["deadlines"]:
        assert published < date.fromisoformat(d["date_start"]) <= date.fromisoformat(d["date_end"])
    for e in gold["events"]:
        assert e["parties"] == sorted(e["parties"]) and set(e["parties"]) <= CODES
        assert EVENT_CAMEO[e["type"]] == e["cameo"]
