-- Articles per publication day and source: the volume each source brings.
create or replace view articles_per_day as
select
    cast(a.published_at as date) as published_on,
    a.source_id,
    count(*) as article_count,
    sum(a.word_count) as word_count
from articles as a
where a.extraction_status = 'ok'
group by all
order by published_on desc, a.source_id
