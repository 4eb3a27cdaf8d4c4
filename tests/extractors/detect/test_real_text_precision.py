"""Precision on general news: dates, percentages, "deals" and meetings that are not trade policy.

The sentences imitate kinds of false alarm seen when running detection over real news pages that are
mostly not about trade (health advice, share sales, pensions, stakes, impeachment hearings, sport, market
wraps); each case must report nothing of the kind it tempts.
"""

from __future__ import annotations

from datetime import date

import pytest

from extractors.detect.detector import detect
from extractors.detect.models import EventType, TariffAction

PUBLISHED = date(2027, 2, 10)

NOT_DEADLINES = [
    # A health recommendation with a date, next to an agency named in trade news too.
    "Customs and Border Protection runs the processing centre. Health officials advise everyone over 65 to "
    "get a booster shot by the end of October. Clinics will stay open late.",
    # Finance: a "deal" that is a share sale; "for six years" looks back.
    "The deal is set to be the biggest share sale in Singapore for six years. Bankers expect strong demand.",
    # A pension payment, with "negotiating" in the sentence.
    "The publisher said it could not make a required payment of $40 million to its pension plan next year "
    "and was negotiating with creditors.",
    # A contract ending, next to a "deal" that closed.
    "That deal closed last year. The firm will hand over the management contract at the end of 2028.",
    # A stake "as of" a date.
    "The founder still owns 18.2% of the company as of April 30, after the deal closed last year.",
    # A habitual period counted from an unnamed event.
    "Importers typically pay the bill within 14 days of the goods arriving.",
    # An economic projection: the year is the economy's, not the tariffs'.
    "Economists project that the tariffs will cut GDP by 0.4 percent by 2028.",
    # A plan the text says was cancelled.
    "The government cancelled a rise in tariffs planned for March 3.",
    # The day of a past gathering, and a date once expected.
    "A trade pact, once expected within weeks of an October news conference, may now slip to next year.",
]


@pytest.mark.parametrize("text", NOT_DEADLINES)
def test_no_deadline_outside_trade_measures(text: str) -> None:
    assert detect(text, PUBLISHED).deadlines == ()


def test_a_trade_deadline_next_to_these_cues_is_still_found() -> None:
    found = detect("The tariffs on steel will take effect on March 3.", PUBLISHED).deadlines
    assert [(d.date_start, d.date_end) for d in found] == [(date(2027, 3, 3), date(2027, 3, 3))]


NOT_TARIFFS = [
    "Travellers can buy duty-free items at the airport, where duty-free shops reported record sales.",
    "Consumers may find tariff-free products elsewhere, though often at a higher price.",
    "Beijing wants Washington to remove the tariffs on its goods as a condition of any deal.",
]


@pytest.mark.parametrize("text", NOT_TARIFFS)
def test_no_tariff_figure_for_untaxed_goods_or_wished_removals(text: str) -> None:
    assert detect(text, PUBLISHED).tariffs == ()


def test_a_wished_removal_keeps_the_stated_rate() -> None:
    text = "Beijing wants Washington to eliminate the 15% tariffs on Chinese goods."
    figures = detect(text, PUBLISHED).tariffs
    assert [(f.rate_pct, f.previous_rate_pct) for f in figures] == [(15.0, None)]


NOT_EVENTS = [
    # A political phone call and hearing: no trade words anywhere.
    "The senator described the call between President Trump and the Ukrainian president as improper. She "
    "testified for six hours. Lawmakers will hear two more witnesses on Thursday.",
    # Sport: "meetings" between two countries' teams.
    "The United States had won all previous meetings with Canada, though they had not met since 1990. The "
    "coach praised his players. Fans sang.",
    # A court case that is not about a trade measure.
    "The fraud charges were upheld. A federal judge ruled that the French banker should remain in jail. His "
    "lawyers will appeal.",
    # A share sale's "deal".
    "The Chinese retailer will announce the terms of the deal with Hong Kong investors on Wednesday. Its "
    "shares rose 2%. The listing is the largest this year.",
]


@pytest.mark.parametrize("text", NOT_EVENTS)
def test_no_event_in_news_that_is_not_about_trade(text: str) -> None:
    assert detect(text, PUBLISHED).events == ()


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        # A condition, not a deal reached; the threat itself is a statement.
        ("Trump said he would raise tariffs on Chinese goods if no deal is reached.", EventType.AGREEMENT),
        # A proposal that is not of a trade measure.
        (
            "Analysts cited the proposed sale of Indian state banks and an end to the U.S.-China trade "
            "dispute as reasons for hope.",
            EventType.STATEMENT,
        ),
        # "Trump-imposed tariffs" describes tariffs; an if-clause imposes nothing.
        ("Revenue from the Trump-imposed tariffs reached $60 billion.", EventType.TARIFF_ACTION),
        ("If the U.S. imposes a tariff on cars, importers pay it at the border.", EventType.TARIFF_ACTION),
        # "meeting expectations" is not a meeting.
        (
            "U.S.-China trade worries eased. The dollar was supported by U.S. data meeting lowered "
            "expectations.",
            EventType.TALKS,
        ),
    ],
)
def test_cue_words_that_are_not_the_act(text: str, absent: EventType) -> None:
    assert absent not in [e.type for e in detect(text, PUBLISHED).events]


def test_the_threat_in_a_conditional_sentence_is_still_a_statement() -> None:
    text = "Trump said he would raise tariffs on Chinese goods if no deal is reached."
    assert [e.type for e in detect(text, PUBLISHED).events] == [EventType.STATEMENT]
    assert all(f.action == TariffAction.THREATEN for f in detect(text, PUBLISHED).tariffs)
