-- Every tariff figure reported, with the article that reported it, newest first.
create or replace view tariff_timeline as
select
    a.published_at,
    t.imposing,
    t.target,
    t.rate_pct,
    t.previous_rate_pct,
    t.action,
    t.products,
    t.effective_date,
    s.name as source_name,
    a.title,
    a.canonical_url,
    t.sentence
from tariff_measures as t
inner join articles as a using (article_id)
inner join sources as s on a.source_id = s.source_id
order by a.published_at desc, t.measure_id
