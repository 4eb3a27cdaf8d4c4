-- The same trade event reported by several articles, grouped: same type, parties and date (an undated
-- event takes its article's publication day). mention_count is like GDELT's NumMentions.
create or replace view event_clusters as
select
    e.cluster_key,
    any_value(e.event_type) as event_type,
    any_value(e.parties) as parties,
    any_value(e.cameo) as cameo,
    min(e.event_date) as event_date,
    mode(e.location) as location,
    count(*) as mention_count,
    count(distinct a.source_id) as source_count,
    min(a.published_at) as first_reported_at,
    max(a.published_at) as last_reported_at,
    arg_min(e.sentence, a.published_at) as first_sentence
from events as e
inner join articles as a using (article_id)
group by e.cluster_key
order by last_reported_at desc
