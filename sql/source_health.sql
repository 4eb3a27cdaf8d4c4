-- How each source is doing: its last poll, failures over its last 10 polls, and articles it brought.
create or replace view source_health as
with recent_polls as (
    select
        source_id,
        outcome,
        fetched_at,
        row_number() over (partition by source_id order by fetched_at desc) as poll_rank
    from feed_fetches
),

poll_stats as (
    select
        source_id,
        count(*) filter (where outcome not in ('ok', 'not_modified')) as failed_last_10,
        count(*) as polls_last_10
    from recent_polls
    where poll_rank <= 10
    group by source_id
),

article_stats as (
    select
        source_id,
        count(*) filter (where extraction_status = 'ok') as articles_ok,
        count(*) filter (where extraction_status <> 'ok') as articles_failed,
        max(published_at) as latest_published_at
    from articles
    group by source_id
)

select
    s.source_id,
    s.name,
    s.enabled as is_enabled,
    s.last_outcome,
    s.last_polled_at,
    coalesce(p.failed_last_10, 0) as failed_last_10,
    coalesce(p.polls_last_10, 0) as polls_last_10,
    coalesce(a.articles_ok, 0) as articles_ok,
    coalesce(a.articles_failed, 0) as articles_failed,
    a.latest_published_at
from sources as s
left join poll_stats as p using (source_id)
left join article_stats as a using (source_id)
order by s.source_id
