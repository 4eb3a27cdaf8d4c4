"""The warehouse schema: one SQLAlchemy metadata for every table, and its version.

Keys are natural text keys (hashes of canonical URLs, source slugs): duckdb-engine has no autoincrement,
and a natural key is what makes every load an idempotent upsert. Every loaded row carries the `run_id`
of the run that last wrote it.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
)

# Bump when a table changes, and add the step that brings version N-1 to N in warehouse.migrate.
SCHEMA_VERSION = 5

metadata = MetaData()


def _ts(name: str, nullable: bool = True) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


schema_info = Table(
    "schema_info",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    _ts("applied_at", nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", Text, primary_key=True),
    Column("flow_run_id", Text),
    _ts("started_at", nullable=False),
    _ts("finished_at"),
    # running | completed | failed | abandoned (its process died; marked by the next run)
    Column("status", Text, nullable=False),
    Column("config_path", Text),
    Column("sources_polled", Integer),
    Column("feeds_not_modified", Integer),
    Column("feeds_failed", Integer),
    Column("entries_seen", Integer),
    Column("articles_new", Integer),
    Column("articles_skipped", Integer),
    Column("articles_failed", Integer),
    Column("tariffs_found", Integer),  # since schema version 2
    Column("deadlines_found", Integer),
    Column("events_found", Integer),
    Column("duration_s", Double),
    Column("error", Text),
    Column("pid", Integer),  # since schema version 5: the process that ran it, and where
    Column("hostname", Text),
    # When the alert step took this run's deadline reports into account; NULL while it has not (the run
    # died first), so the next run's alert step reads them too.
    _ts("alerted_at"),
)

sources = Table(
    "sources",
    metadata,
    Column("source_id", Text, primary_key=True),  # slug of the configured name
    Column("name", Text, nullable=False),
    Column("feed_url", Text, nullable=False),
    Column("country", Text),
    Column("language", Text),
    Column("enabled", Boolean, nullable=False),
    # Conditional-GET validators of the last successful poll.
    Column("etag", Text),
    Column("last_modified", Text),
    _ts("last_polled_at"),
    Column("last_outcome", Text),
    Column("run_id", Text, nullable=False),
)

feed_fetches = Table(
    "feed_fetches",
    metadata,
    Column("fetch_id", Text, primary_key=True),  # run_id + source_id: one poll per source per run
    Column("run_id", Text, nullable=False),
    Column("source_id", Text, nullable=False),
    _ts("fetched_at", nullable=False),
    Column("outcome", Text, nullable=False),  # extractors.models.FetchOutcome
    Column("http_status", Integer),
    Column("etag", Text),
    Column("last_modified", Text),
    Column("entry_count", Integer, nullable=False),
    Column("new_entry_count", Integer, nullable=False),
    Column("skipped_entry_count", Integer, nullable=False),
    Column("bozo", Boolean, nullable=False),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)

# The frontier (schema version 5): every article a feed announced that is not settled yet. A poll's entries
# become rows here in the same transaction that stores the feed's validators, and a row goes only in the
# transaction that loads its article (or gives up on it), so a run that dies anywhere loses nothing: the
# next run drains what is left.
frontier = Table(
    "frontier",
    metadata,
    Column("article_id", Text, primary_key=True),  # extractors.urls.article_id(canonical_url)
    Column("source_id", Text, nullable=False),
    Column("url", Text, nullable=False),  # the link as the feed gave it
    Column("canonical_url", Text, nullable=False),
    Column("language", Text),  # the source's configured language
    # The feed entry, as the article row will need it.
    Column("entry_title", Text),
    _ts("entry_published_at"),
    Column("entry_summary", Text),
    Column("entry_guid", Text),
    Column("entry_author", Text),
    _ts("discovered_at", nullable=False),
    Column("attempts", Integer, nullable=False),  # runs that fetched it and failed transiently
    _ts("last_attempt_at"),
    Column("last_error", Text),
    _ts("next_attempt_at", nullable=False),  # not fetched before this time
    Column("run_id", Text, nullable=False),  # the run that last wrote the row
)

articles = Table(
    "articles",
    metadata,
    Column("article_id", Text, primary_key=True),  # extractors.urls.article_id(canonical_url)
    Column("source_id", Text, nullable=False),
    Column("url", Text, nullable=False),  # the link as the feed gave it
    Column("canonical_url", Text, nullable=False),
    Column("final_url", Text),  # after redirects
    Column("feed_title", Text),
    Column("title", Text),
    Column("author", Text),
    _ts("published_at"),
    _ts("fetched_at", nullable=False),
    Column("language", Text),
    Column("site_name", Text),
    Column("text", Text),
    Column("text_sha256", Text),
    Column("word_count", Integer, nullable=False),
    # ok | empty | not_html | failed (extraction) | a FetchOutcome value when the fetch itself failed
    Column("extraction_status", Text, nullable=False),
    Column("http_status", Integer),
    Column("error", Text),
    Column("attempts", Integer, nullable=False),
    # detected (read by the rules of `language`) | unsupported_language (no rules for it: not read);
    # NULL where there is no text to read. Since schema version 5.
    Column("detection_status", Text),
    Column("run_id", Text, nullable=False),
)

raw_pages = Table(
    "raw_pages",
    metadata,
    Column("article_id", Text, primary_key=True),
    Column("final_url", Text, nullable=False),
    Column("http_status", Integer),
    Column("content_type", Text),
    _ts("fetched_at", nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("body_gzip", LargeBinary, nullable=False),  # the page as served, gzip-compressed
    Column("run_id", Text, nullable=False),
)


# Detection (schema version 2). Rows are keyed `<article_id>:<n>` and replaced per article as a whole when
# detection re-runs (`tradewatch reprocess`), so a key never outlives the rules that made it.

tariff_measures = Table(
    "tariff_measures",
    metadata,
    Column("measure_id", Text, primary_key=True),
    Column("article_id", Text, nullable=False),
    Column("rate_pct", Double, nullable=False),
    Column("previous_rate_pct", Double),
    Column("imposing", Text),  # ISO 3166-1 alpha-3, EUU for the EU
    Column("target", Text),
    Column("products", Text, nullable=False),  # "; "-joined normalised product names
    Column("action", Text, nullable=False),
    Column("effective_date", Date),
    Column("sentence", Text, nullable=False),
    Column("run_id", Text, nullable=False),
)

deadlines = Table(
    "deadlines",
    metadata,
    Column("deadline_id", Text, primary_key=True),
    Column("article_id", Text, nullable=False),
    Column("date_start", Date, nullable=False),
    Column("date_end", Date, nullable=False),
    Column("description", Text, nullable=False),
    Column("sentence", Text, nullable=False),
    Column("run_id", Text, nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("article_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("event_date", Date),
    Column("location", Text),
    Column("parties", Text, nullable=False),  # "USA;CHN" sorted, as in event_parties
    Column("cameo", Text, nullable=False),
    # Same type, parties and date (or, undated, the publication day) = the same event reported again;
    # the event_clusters view counts its mentions like GDELT's NumMentions.
    Column("cluster_key", Text, nullable=False),
    Column("sentence", Text, nullable=False),
    Column("run_id", Text, nullable=False),
)

event_parties = Table(
    "event_parties",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("party", Text, primary_key=True),
    Column("article_id", Text, nullable=False),
    Column("run_id", Text, nullable=False),
)


# Alerts (schema version 3): what is known of each deadline across articles, and the outbox of alerts.

tracked_deadlines = Table(
    "tracked_deadlines",
    metadata,
    Column("deadline_key", Text, primary_key=True),  # extractors.deadline_keys: parties|measure[|products|@]
    Column("label", Text, nullable=False),  # the key for people: "CHN/USA truce"
    Column("date_start", Date, nullable=False),  # the current date range
    Column("date_end", Date, nullable=False),
    Column("previous_date_start", Date),  # the range before the last move
    Column("previous_date_end", Date),
    Column("dated_on", Date, nullable=False),  # the day the current range was first seen
    _ts("first_seen_at", nullable=False),
    _ts("last_seen_at", nullable=False),
    _ts("reported_at", nullable=False),  # publication time of the report that set the range
    Column("source_count", Integer, nullable=False),  # sources reporting the current range
    Column("article_count", Integer, nullable=False),
    Column("article_id", Text, nullable=False),  # the latest report
    Column("sentence", Text, nullable=False),
    Column("title", Text),
    Column("url", Text, nullable=False),
    # upcoming | passed | past_when_seen (recorded, not alerted) | merged (found to be another key's deadline)
    Column("status", Text, nullable=False),
    Column("run_id", Text, nullable=False),
)

alerts = Table(
    "alerts",
    metadata,
    # hash(kind, deadline key, date range, channel): one alert per thing, date and channel, ever.
    Column("alert_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),  # new | moved | due_soon
    Column("deadline_key", Text, nullable=False),
    Column("date_start", Date, nullable=False),
    Column("date_end", Date, nullable=False),
    Column("channel", Text, nullable=False),  # the apprise URL with its secrets masked; '' = no channel
    Column("message", Text, nullable=False),
    _ts("created_at", nullable=False),
    _ts("sent_at"),
    Column("status", Text, nullable=False),  # pending | sent | failed | printed (no channel configured)
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),  # secrets masked
    Column("run_id", Text, nullable=False),
)
