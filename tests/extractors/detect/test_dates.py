from datetime import date

import pytest

from extractors.detect.dates import find_dates, is_duration, sentence_tense

# A Wednesday.
PUBLISHED = date(2025, 6, 11)


def _ranges(sentence: str, published: date = PUBLISHED) -> list[tuple[str, date, date]]:
    return [(m.text, m.date_start, m.date_end) for m in find_dates(sentence, published)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The levy rises on July 9.", [("July 9", date(2025, 7, 9), date(2025, 7, 9))]),
        ("The levy rises on 9 July.", [("9 July", date(2025, 7, 9), date(2025, 7, 9))]),
        ("Duties rose on Jul. 9, 2024.", [("Jul. 9, 2024", date(2024, 7, 9), date(2024, 7, 9))]),
        ("The notice is dated 2025-03-02.", [("2025-03-02", date(2025, 3, 2), date(2025, 3, 2))]),
        ("Quotas reopen in early August.", [("early August", date(2025, 8, 1), date(2025, 8, 10))]),
        ("A ruling is due by mid-September.", [("mid-September", date(2025, 9, 11), date(2025, 9, 20))]),
        ("Talks end by the end of July.", [("the end of July", date(2025, 7, 21), date(2025, 7, 31))]),
        ("The ban applies in October.", [("October", date(2025, 10, 1), date(2025, 10, 31))]),
        ("The ban applies by May.", [("May", date(2026, 5, 1), date(2026, 5, 31))]),
        ("The cap lapses in 2027.", [("2027", date(2027, 1, 1), date(2027, 12, 31))]),
        ("The cap lapses in 2025.", [("2025", date(2025, 6, 12), date(2025, 12, 31))]),
        ("Rates fall by the end of 2026.", [("the end of 2026", date(2026, 12, 21), date(2026, 12, 31))]),
        ("A pact may follow early next year.", [("early next year", date(2026, 1, 1), date(2026, 4, 30))]),
        ("A pact may follow later this year.", [("later this year", date(2025, 6, 12), date(2025, 12, 31))]),
        ("Officials aim for a deal by year-end.", [("year-end", date(2025, 12, 21), date(2025, 12, 31))]),
        ("The review starts next month.", [("next month", date(2025, 7, 1), date(2025, 7, 31))]),
        ("Envoys meet next week.", [("next week", date(2025, 6, 16), date(2025, 6, 22))]),
        ("It takes effect tomorrow.", [("tomorrow", date(2025, 6, 12), date(2025, 6, 12))]),
        ("The rules apply within 30 days.", [("30 days", date(2025, 7, 11), date(2025, 7, 11))]),
        ("Exporters get two weeks to comply.", [("two weeks", date(2025, 6, 25), date(2025, 6, 25))]),
        (
            "A 60-day pause announced on May 2 is nearly over.",
            [("60-day", date(2025, 7, 1), date(2025, 7, 1)), ("May 2", date(2025, 5, 2), date(2025, 5, 2))],
        ),
        (
            "Exporters have 45 days from Monday's decision to respond.",
            [
                ("45 days", date(2025, 7, 24), date(2025, 7, 24)),
                ("Monday", date(2025, 6, 9), date(2025, 6, 9)),
            ],
        ),
    ],
)
def test_phrases_resolve_to_ranges(sentence: str, expected: list[tuple[str, date, date]]) -> None:
    assert _ranges(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "published", "expected"),
    [
        # The same year-less day, pointed forward or back by the verb.
        ("The quota will expire on March 1.", date(2024, 11, 20), date(2025, 3, 1)),
        ("The quota expired on March 1.", date(2024, 11, 20), date(2024, 3, 1)),
        ("The surcharge took effect on October 3.", date(2025, 4, 2), date(2024, 10, 3)),
        ("The surcharge is set to take effect on October 3.", date(2025, 4, 2), date(2025, 10, 3)),
        # Weekdays: back by default, forward when the clause looks ahead; publication day included.
        ("Ministers said on Monday they would retaliate.", PUBLISHED, date(2025, 6, 9)),
        ("The duties will kick in on Friday.", PUBLISHED, date(2025, 6, 13)),
        ("The levy will apply from Wednesday.", PUBLISHED, date(2025, 6, 11)),
        # A weekday beside the day settles the year.
        ("Officials signed it on Friday, January 3.", date(2025, 6, 11), date(2025, 1, 3)),
        # A day within weeks of publication is that one, whatever the verb.
        ("The duties were announced for June 20.", PUBLISHED, date(2025, 6, 20)),
    ],
)
def test_year_less_days_follow_the_sentence(sentence: str, published: date, expected: date) -> None:
    [mention] = find_dates(sentence, published)
    assert mention.date_start == mention.date_end == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "Tariffs of 125% apply to 2.5 million tonnes.",
        "Measures under Section 232 and Executive Order No. 14257 stay.",
        "The vote opens at 10 a.m. and closes at 4:30 p.m.",
        "The guests dined at Mar-a-Lago.",
        "Prices may rise, analysts said.",
        "The 10-year yield rose over the past 30 days.",
        "The talks lasted two days.",
    ],
)
def test_numbers_that_are_not_dates(sentence: str) -> None:
    assert find_dates(sentence, PUBLISHED) == []


def test_offsets_point_at_the_phrase() -> None:
    sentence = "Beijing said the curbs start on August 15 and end in 2027."
    for mention in find_dates(sentence, PUBLISHED):
        assert sentence[mention.start : mention.end] == mention.text


def test_a_period_whose_end_is_stated_is_not_counted_from_publication() -> None:
    sentence = "The 90-day suspension is due to expire in early September."
    assert _ranges(sentence) == [("early September", date(2025, 9, 1), date(2025, 9, 10))]
    assert _ranges("Access is extended for 10 years, until 2035.") == [
        ("2035", date(2035, 1, 1), date(2035, 12, 31))
    ]


def test_durations_are_told_apart() -> None:
    kinds = {
        m.text: is_duration(m)
        for m in find_dates("It ends within 90 days; talks resume next month.", PUBLISHED)
    }
    assert kinds == {"90 days": True, "next month": False}


@pytest.mark.parametrize(
    ("sentence", "tense"),
    [
        ("The tariff will rise and is set to expire.", "future"),
        ("The tariff was raised and took effect.", "past"),
        ("The tariff stands at 10%.", None),
    ],
)
def test_sentence_tense(sentence: str, tense: str | None) -> None:
    assert sentence_tense(sentence) == tense


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The tariffs will rise to 50% next Tuesday.", date(2025, 6, 10)),  # published on a Tuesday
        ("The duties were imposed last Tuesday.", date(2025, 5, 27)),
        ("The new duties apply from Tuesday.", date(2025, 6, 3)),  # a bare weekday may be the day itself
    ],
)
def test_next_and_last_weekday_are_never_the_publication_day(text: str, expected: date) -> None:
    [mention] = find_dates(text, date(2025, 6, 3))
    assert mention.date_start == expected
