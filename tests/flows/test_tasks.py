"""The flow's pure wiring between extractors and the warehouse."""

from __future__ import annotations

from datetime import UTC, datetime

from extractors.models import FetchOutcome, FetchResult, ParsedFeed, Validators
from flows.config import SourceConfig
from flows.tasks import source_records
from warehouse.records import FeedPoll

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
OLD = Validators(etag='"old"')
NEW = Validators(etag='"new"', last_modified="Mon, 23 Nov 2026 08:00:00 GMT")


def _poll(feed: ParsedFeed) -> FeedPoll:
    fetched = FetchResult("https://x.example/rss", FetchOutcome.OK, status=200, validators=NEW)
    return FeedPoll("x", NOW, fetched, feed)


def test_a_feed_the_parser_could_not_read_keeps_its_old_validators_and_counts_as_failed() -> None:
    """Storing the new ETag would make the next poll a 304, and the unread entries would be lost."""
    source = SourceConfig(name="X", feed_url="https://x.example/rss")  # type: ignore[arg-type]
    unreadable = _poll(ParsedFeed(entries=(), bozo=True, bozo_reason="feedparser raised", parse_failed=True))
    [record] = source_records([source], [unreadable], {"x": OLD})
    assert record.validators == OLD
    assert (unreadable.outcome, unreadable.failed, record.last_outcome) == (
        "unparseable",
        True,
        "unparseable",
    )

    empty = _poll(ParsedFeed(entries=()))  # read, and truly empty: a success
    [record] = source_records([source], [empty], {"x": OLD})
    assert record.validators == NEW
    assert (empty.outcome, empty.failed) == ("ok", False)
