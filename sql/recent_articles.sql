-- Articles extracted in the last 7 days of publication, newest first, without their bodies.
create or replace view recent_articles as
select
    a.article_id,
    a.published_at,
    s.name as source_name,
    a.title,
    a.word_count,
    a.language,
    a.canonical_url
from articles as a
inner join sources as s using (source_id)
where
    a.extraction_status = 'ok'
    and a.published_at >= now() - interval 7 day
order by a.published_at desc
