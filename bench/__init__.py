"""`make bench`: the daily flow end to end on a served corpus, beside a plain fetch + extract ceiling."""
