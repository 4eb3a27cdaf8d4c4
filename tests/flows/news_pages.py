"""A news page for the flow tests' local sites, with words enough for extraction to take it as an article."""

ARTICLE = """<html lang="en"><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> <a href="/trade">Trade</a></nav>
<article><h1>{title}</h1>
<p>{body} Officials said the measure would be reviewed by trade ministers at a meeting next month, and
exporters warned that the cost would reach consumers before the end of the quarter.</p>
<p>Industry groups asked for a longer consultation period and for exemptions covering spare parts, while
the ministry said its decision followed months of talks with partners and a public hearing.</p>
</article><footer>Copyright Example News</footer></body></html>"""
