-- Every run, newest first, with what it found and how long it took.
create or replace view run_history as
select
    run_id,
    started_at,
    status,
    sources_polled,
    feeds_not_modified,
    feeds_failed,
    articles_new,
    articles_skipped,
    articles_failed,
    round(duration_s, 1) as duration_s,
    error
from runs
order by started_at desc
