-- Deadlines still ahead, soonest first: what, when, since when it is known and how many sources report it.
create or replace view upcoming_deadlines as
with upcoming as (
    select *
    from tracked_deadlines
    where date_end >= current_date and status <> 'merged'
)

select
    u.date_start,
    u.date_end,
    u.date_start - current_date as days_left,
    u.label,
    u.deadline_key,
    u.previous_date_start,
    u.previous_date_end,
    u.first_seen_at,
    u.source_count,
    u.article_count,
    u.title,
    u.url,
    u.sentence
from upcoming as u
order by u.date_start, u.deadline_key
