"""The key of a deadline report: what it is about, and whether it can be followed to another date."""

from __future__ import annotations

from datetime import date

import pytest

from extractors.deadline_keys import DeadlineKey, article_keys, deadline_key

D = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        # Parties however named, sorted; the measure, not the date, nor the words around it.
        ("The tariff truce between the United States and China expires on December 6.", "CHN+USA|truce"),
        ("Beijing and Washington agreed to extend their truce to March 6.", "CHN+USA|truce"),
        ("The pause on US tariffs on Chinese goods ends on August 12.", "CHN+USA|truce"),
        # Products only for measures on goods, as the tariff lexicon names them.
        ("US tariffs on steel and aluminium rise to 50% on June 4.", "USA|tariff|aluminum,steel"),
        ("US duties on lumber will rise on October 14.", "USA|tariff|softwood lumber"),
        ("Canada will cut its surtax on US cars from May 1.", "CAN+USA|tariff-cut|autos"),
        ("China will suspend export controls on rare earths for a year.", "CHN|export-controls"),
        ("India and the United States aim to conclude a trade deal by the autumn.", "IND+USA|talks"),
        ("The EU exemption for US lobsters lapses on July 31.", "EUU+USA|exemption|lobsters"),
        # Nothing to follow it by: anchored to its date, so it can be new but never moved.
        ("The rules take effect on December 6.", "-|other|@2026-12-06..2026-12-06"),
        # Too coarse to follow: every WTO case or ruling about the US would be one deadline moving about.
        (
            "Brazil asked for WTO consultations with the United States within 60 days.",
            "BRA+USA|dispute|@2026-12-06..2026-12-06",
        ),
        ("The US will also review its soybean purchases on December 6.", "USA|review"),
        ("The United States said more on December 6.", "USA|other|@2026-12-06..2026-12-06"),
    ],
)
def test_key_is_what_the_sentence_is_about(sentence: str, expected: str) -> None:
    key = deadline_key(sentence, D, D)
    assert str(key) == expected
    assert DeadlineKey.parse(str(key)) == key
    assert key.followable == ("@" not in expected)


def test_key_ignores_the_date() -> None:
    sentence = "The tariff truce between the United States and China expires then."
    assert deadline_key(sentence, D, D) == deadline_key(sentence, date(2027, 3, 6), date(2027, 3, 6))


def test_one_article_giving_a_key_two_dates_anchors_both() -> None:
    us = ("US tariffs on Canadian steel rise on December 3.", date(2026, 12, 3), date(2026, 12, 3))
    canada = ("Canada's tariffs on US steel rise on December 4.", date(2026, 12, 4), date(2026, 12, 4))
    truce = ("The US-China truce ends on December 6.", D, D)
    keys = [str(k) for k in article_keys([us, canada, truce])]
    assert keys == [
        "CAN+USA|tariff|steel|@2026-12-03..2026-12-03",
        "CAN+USA|tariff|steel|@2026-12-04..2026-12-04",
        "CHN+USA|truce",
    ]
    assert DeadlineKey.parse(keys[0]).anchor == (date(2026, 12, 3), date(2026, 12, 3))
