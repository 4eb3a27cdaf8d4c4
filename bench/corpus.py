"""The benchmark corpus: N article pages listed by M RSS 2.0 feeds, identical for a given seed.

Pages are the 181 real news pages of the article-extraction benchmark in ../shared/corpora (real markup and
boilerplate, median ~114 KB), each served under several URLs. Every copy gets its own title suffix and a
closing paragraph, so each URL is a distinct article to the pipeline: its own id, body, ETag and raw page.
Without that folder, synthetic pages of realistic size (60-120 KB of navigation, styles, scripts, embedded
state and a few paragraphs of trade news) are generated instead; `Corpus.kind` says which was used.

Feeds link to pages by absolute URL, which exists only once the pages' server has a port; so the pages are
served first and the feeds, written for that base URL, on a second server (`serve_corpus` does both, in a
child process: the flow under test then shares neither its GIL nor its memory with the web server).
"""

from __future__ import annotations

import gzip
import html
import json
import os
import random
import re
import statistics
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing import get_context
from multiprocessing.connection import Connection
from pathlib import Path
from xml.sax.saxutils import escape

from flows.local_server import Page, serve

REAL_CORPUS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "article-extraction-benchmark"
)
HTML_TYPE = "text/html; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
# Publication dates count back from this fixed moment, so the corpus is byte-identical from run to run.
EPOCH = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WINDOW_MINUTES = 7 * 24 * 60
SUMMARY_CHARS = 280

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class CorpusArticle:
    path: str
    title: str
    summary: str
    published: datetime
    body: bytes


@dataclass(frozen=True, slots=True)
class Corpus:
    kind: str  # "real" or "synthetic"
    description: str
    articles: tuple[CorpusArticle, ...]
    feeds: tuple[tuple[int, ...], ...]  # per feed, indexes into `articles`, newest first

    def article_pages(self) -> dict[str, Page]:
        return {a.path: Page(a.body, HTML_TYPE) for a in self.articles}

    def feed_pages(self, base_url: str) -> dict[str, Page]:
        """The feeds, linking to pages served at `base_url`."""
        base = base_url.rstrip("/")
        return {
            feed_path(j): Page(_rss(j, [self.articles[i] for i in items], base), RSS_TYPE)
            for j, items in enumerate(self.feeds)
        }


@dataclass(frozen=True, slots=True)
class ServedCorpus:
    """What the benchmark needs to know of a corpus being served: where it is and what it weighs."""

    kind: str
    description: str
    article_urls: tuple[str, ...]
    feed_urls: tuple[str, ...]
    total_bytes: int
    median_bytes: int
    server_pid: int


def feed_path(index: int) -> str:
    return f"/feeds/{index + 1:02d}/rss.xml"


def build_corpus(
    articles: int = 2000, feeds: int = 40, *, seed: int = 0, real_dir: Path | None = REAL_CORPUS
) -> Corpus:
    """`articles` pages spread evenly over `feeds` feeds; synthetic pages if `real_dir` is None or absent."""
    if not 1 <= feeds <= articles:
        raise ValueError(f"need 1 <= feeds <= articles, got {feeds} feeds for {articles} articles")
    rng = random.Random(seed)
    published = [EPOCH - timedelta(minutes=rng.randrange(WINDOW_MINUTES)) for _ in range(articles)]
    feed_of = [i % feeds for i in range(articles)]
    originals = _real_pages(real_dir) if real_dir is not None and real_dir.is_dir() else []
    if real_dir is not None and originals:
        items = _real_articles(originals, published, feed_of, rng)
        copies = -(-articles // len(originals))
        description = (
            f"real: {min(articles, len(originals))} pages of {real_dir.resolve()}, "
            f"each under up to {copies} URLs with a per-copy title suffix and marker paragraph"
        )
        kind = "real"
    else:
        items = _synthetic_articles(published, feed_of, rng)
        why = "asked for" if real_dir is None else f"no corpus at {real_dir.resolve()}"
        description = f"synthetic: generated pages ({why})"
        kind = "synthetic"
    by_feed: list[list[int]] = [[] for _ in range(feeds)]
    for i, feed in enumerate(feed_of):
        by_feed[feed].append(i)
    ordered = tuple(tuple(sorted(ids, key=lambda i: published[i], reverse=True)) for ids in by_feed)
    return Corpus(kind, description, tuple(items), ordered)


@contextmanager
def serve_corpus(
    articles: int, feeds: int, *, seed: int = 0, synthetic: bool = False, start_timeout_s: float = 300.0
) -> Iterator[ServedCorpus]:
    """Build and serve the corpus in a child process for the length of the block."""
    context = get_context("spawn")  # the caller may run threads (Prefect's) that a fork would copy
    ours, theirs = context.Pipe()
    real_dir = None if synthetic else REAL_CORPUS
    process = context.Process(
        target=_serve, args=(theirs, articles, feeds, seed, real_dir), name="bench-corpus-server", daemon=True
    )
    process.start()
    theirs.close()
    try:
        if not ours.poll(start_timeout_s):
            raise RuntimeError(f"the corpus server did not start within {start_timeout_s:g} s")
        try:
            message = ours.recv()
        except EOFError:
            raise RuntimeError(f"the corpus server exited (code {process.exitcode})") from None
        if not isinstance(message, ServedCorpus):
            raise RuntimeError(f"the corpus server failed:\n{message}")
        yield message
    finally:
        with suppress(OSError):  # already gone
            ours.send("stop")
        process.join(10)
        if process.is_alive():
            process.terminate()
            process.join()
        ours.close()


def _serve(conn: Connection, articles: int, feeds: int, seed: int, real_dir: Path | None) -> None:
    try:
        corpus = build_corpus(articles, feeds, seed=seed, real_dir=real_dir)
        sizes = [len(a.body) for a in corpus.articles]
        with serve(corpus.article_pages()) as pages_url, serve(corpus.feed_pages(pages_url)) as feeds_url:
            conn.send(
                ServedCorpus(
                    kind=corpus.kind,
                    description=corpus.description,
                    article_urls=tuple(pages_url + a.path for a in corpus.articles),
                    feed_urls=tuple(feeds_url + feed_path(j) for j in range(len(corpus.feeds))),
                    total_bytes=sum(sizes),
                    median_bytes=int(statistics.median(sizes)),
                    server_pid=os.getpid(),
                )
            )
            conn.recv()  # serve until told to stop, or until the benchmark's end of the pipe closes
    except EOFError:
        pass
    except Exception:
        conn.send(traceback.format_exc())


# --- real pages ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Original:
    name: str
    body: bytes
    title: str
    summary: str


def _real_pages(folder: Path) -> list[_Original]:
    truth_file = folder / "ground-truth.json"
    truth = json.loads(truth_file.read_text(encoding="utf-8")) if truth_file.is_file() else {}
    pages = []
    for file in sorted((folder / "html").glob("*.html.gz")):
        name = file.name.removesuffix(".html.gz")
        body = gzip.decompress(file.read_bytes())
        match = _TITLE.search(body)
        title = _one_line(html.unescape(match.group(1).decode("utf-8", "replace"))) if match else ""
        text = str(truth.get(name, {}).get("articleBody") or "")
        pages.append(_Original(name, body, title or _clip(text, 80) or name, _clip(text, SUMMARY_CHARS)))
    return pages


def _real_articles(
    originals: Sequence[_Original], published: Sequence[datetime], feed_of: Sequence[int], rng: random.Random
) -> list[CorpusArticle]:
    order = list(range(len(originals)))
    rng.shuffle(order)
    items = []
    for i, (when, feed) in enumerate(zip(published, feed_of, strict=True)):
        original = originals[order[i % len(order)]]
        copy = i // len(order) + 1
        suffix = f" #{i + 1}"
        body = _with_title_suffix(original.body, suffix)
        marker = f'<p class="bench-copy">Bench article {i + 1:05d}: copy {copy} of {original.name}.</p>\n'
        body = _before_body_end(body, marker.encode("ascii"))
        title = original.title + suffix
        path = f"/s{feed + 1:02d}/articles/{i + 1:05d}-{_slug(original.title)}.html"
        items.append(CorpusArticle(path, title, original.summary, when, body))
    return items


def _with_title_suffix(body: bytes, suffix: str) -> bytes:
    match = _TITLE.search(body)
    if match is None:
        return body
    at = match.end(1)
    return body[:at] + html.escape(suffix).encode("ascii") + body[at:]


def _before_body_end(body: bytes, insert: bytes) -> bytes:
    ends = list(_BODY_END.finditer(body))
    at = ends[-1].start() if ends else len(body)
    return body[:at] + insert + body[at:]


# --- synthetic pages -------------------------------------------------------------------------------------

_COUNTRIES = (
    "the United States", "the European Union", "China", "Canada", "Mexico", "Japan", "India", "Brazil",
    "the United Kingdom", "South Korea", "Australia", "Vietnam", "Indonesia", "Turkey", "South Africa",
    "Argentina", "Chile", "Malaysia", "Thailand", "Switzerland",
)  # fmt: skip
_GOODS = (
    "steel", "aluminium", "solar panels", "electric vehicles", "semiconductors", "soybeans", "rice",
    "dairy products", "softwood lumber", "rare earth magnets", "pharmaceuticals", "wine", "cotton textiles",
    "fertiliser", "lithium batteries", "frozen shrimp", "olive oil", "wind turbine towers",
    "hardwood plywood", "ceramic tiles",
)  # fmt: skip
_BODIES = (
    "the Commerce Department", "the European Commission", "the World Trade Organization",
    "the trade ministry", "customs authorities", "the Office of the U.S. Trade Representative",
    "the International Trade Commission", "the finance ministry", "the anti-dumping authority",
    "parliament's trade committee",
)  # fmt: skip
_ACTIONS = (
    "imposed a {rate}% tariff on", "extended anti-dumping duties on", "opened a safeguard investigation into",
    "lifted import quotas on", "announced export controls on", "proposed countervailing duties on",
    "suspended preferential tariffs on", "agreed to phase out duties on",
)  # fmt: skip
_HEADLINES = (
    "{Country} to impose {rate}% tariffs on {good} from {country2}",
    "{Body} extends anti-dumping duties on {good}",
    "Talks on {good} quotas stall as {date} deadline nears",
    "{Country} lifts export ban on {good} after {months}-month review",
    "Exporters of {good} brace for new duties in {country2}",
    "{Country} and {country2} agree to cut tariffs on {good}",
)  # fmt: skip
_SENTENCES = (
    "{Country} {action} imports of {good} from {country2}, {body} said on {weekday}.",
    "The duty of {rate}% will take effect on {date}, according to a notice in the official journal.",
    "Exporters of {good} have until {date} to submit comments on the proposed measures.",
    '"{quote}," said {person}, {role}.',
    "Shipments of {good} to {country} fell {pct}% in {month}, customs data showed.",
    "{Body} opened an investigation into {good} from {country2} after complaints from domestic producers.",
    "The measures cover about ${amount} billion of annual trade, officials estimated.",
    "Negotiators from {country} and {country2} are due to meet again in {city} on {date}.",
    "Industry groups warned that the tariffs would raise costs for manufacturers and consumers alike.",
    "The decision follows a {months}-month review of {good} imports under the safeguard rules.",
    "Prices of {good} rose {pct}% on the news before easing later in the session.",
    "{Body} said it would publish a final determination no later than {date}.",
)  # fmt: skip
_QUOTES = (
    "We will defend our industry against unfair competition",
    "These duties are a clear violation of the rules we all signed up to",
    "The market needs certainty, not another round of retaliation",
    "We expect the talks to conclude well before the deadline",
    "Importers will pass most of the cost on to consumers",
    "This is a measured response to a surge of subsidised imports",
)  # fmt: skip
_FIRST = ("Maria", "James", "Aiko", "Rahul", "Sofia", "Lukas", "Amara", "Chen", "Olga", "Diego", "Fatima")
_LAST = ("Schmidt", "Okafor", "Tanaka", "Patel", "Moreau", "Silva", "Nowak", "Kim", "Haddad", "Larsen")
_ROLES = (
    "the trade minister", "a senior official who asked not to be named", "an analyst at Meridian Capital",
    "chief economist at Harbor Research", "head of the national steel association", "a customs broker",
)  # fmt: skip
_CITIES = ("Geneva", "Brussels", "Washington", "Beijing", "Ottawa", "Tokyo", "New Delhi", "Brasilia")
_SECTIONS = (
    "World", "Markets", "Trade", "Tariffs", "Economy", "Commodities", "Energy", "Technology", "Autos",
    "Agriculture", "Opinion", "Analysis", "Data", "Podcasts", "Events", "Newsletters",
)  # fmt: skip
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_CODE_WORDS = (
    "render", "track", "slot", "consent", "lazy", "hydrate", "banner", "paywall", "metrics", "video",
    "share", "comments", "recirc", "adunit", "prefetch", "observer", "beacon", "session", "layout", "menu",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Site:
    name: str
    head: str  # <style> and <script> blocks
    nav: str
    footer: str
    filler: str  # pool of embedded-state text that pads pages to their size


def _synthetic_articles(
    published: Sequence[datetime], feed_of: Sequence[int], rng: random.Random
) -> list[CorpusArticle]:
    sites = [_site(feed, rng) for feed in range(max(feed_of) + 1)]
    items = []
    for i, (when, feed) in enumerate(zip(published, feed_of, strict=True)):
        words = _words(rng, when)
        title = rng.choice(_HEADLINES).format(**words)
        title = title[0].upper() + title[1:]
        paragraphs = [
            " ".join(_sentence(rng, when) for _ in range(rng.randint(3, 6)))
            for _ in range(rng.randint(6, 12))
        ]
        body = _synthetic_page(sites[feed], title, paragraphs, when, rng)
        path = f"/s{feed + 1:02d}/articles/{i + 1:05d}-{_slug(title)}.html"
        items.append(CorpusArticle(path, title, _clip(paragraphs[0], SUMMARY_CHARS), when, body))
    return items


def _words(rng: random.Random, when: datetime) -> dict[str, str]:
    country, country2 = rng.sample(_COUNTRIES, 2)
    body = rng.choice(_BODIES)
    deadline = when + timedelta(days=rng.randint(5, 120))
    return {
        "country": country,
        "Country": country[0].upper() + country[1:],
        "country2": country2,
        "good": rng.choice(_GOODS),
        "body": body,
        "Body": body[0].upper() + body[1:],
        "rate": str(rng.choice((5, 10, 15, 20, 25, 35, 50))),
        "pct": f"{rng.uniform(1, 40):.1f}",
        "amount": f"{rng.uniform(0.2, 60):.1f}",
        "months": str(rng.randint(3, 18)),
        "date": f"{deadline:%B} {deadline.day}, {deadline.year}",
        "month": f"{when - timedelta(days=30):%B}",
        "weekday": rng.choice(_WEEKDAYS),
        "city": rng.choice(_CITIES),
        "quote": rng.choice(_QUOTES),
        "person": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        "role": rng.choice(_ROLES),
    }


def _sentence(rng: random.Random, when: datetime) -> str:
    words = _words(rng, when)
    words["action"] = rng.choice(_ACTIONS).format(**words)
    return rng.choice(_SENTENCES).format(**words)


def _site(feed: int, rng: random.Random) -> _Site:
    name = f"{rng.choice(('Global', 'Daily', 'Pacific', 'Atlantic', 'Continental'))} Trade Wire {feed + 1}"
    css = "".join(
        f".c-{rng.choice(_CODE_WORDS)}-{n}{{margin:{rng.randint(0, 32)}px {rng.randint(0, 32)}px;"
        f"padding:{rng.randint(0, 24)}px;color:#{rng.randrange(16**6):06x};"
        f"font-size:{rng.randint(11, 28)}px}}\n"
        for n in range(rng.randint(120, 220))
    )
    js = "".join(
        f"function {rng.choice(_CODE_WORDS)}{n}(e,t){{var n=e.{rng.choice(_CODE_WORDS)}||{{}};"
        f"return t&&t.{rng.choice(_CODE_WORDS)}?n[t.id]:window.__{rng.choice(_CODE_WORDS)}({n},e)}}\n"
        for n in range(rng.randint(150, 350))
    )
    nav = "".join(
        f'<li><a href="/{s.lower()}/{rng.choice(_CODE_WORDS)}">{s}</a></li>'
        for s in rng.sample(_SECTIONS, len(_SECTIONS)) * 3
    )
    footer = "".join(
        f'<li><a href="/about/{rng.choice(_CODE_WORDS)}-{n}">{rng.choice(_SECTIONS)} {n}</a></li>'
        for n in range(rng.randint(30, 60))
    )
    filler = " ".join(rng.choices(_CODE_WORDS + _SECTIONS, k=20_000))
    head = f"<style>\n{css}</style>\n<script>\n{js}</script>\n"
    return _Site(name, head, f"<ul>{nav}</ul>", f"<ul>{footer}</ul>", filler)


def _synthetic_page(
    site: _Site, title: str, paragraphs: Sequence[str], when: datetime, rng: random.Random
) -> bytes:
    e = html.escape
    related = "".join(
        f'<li><a href="/trade/{rng.randrange(10**6)}">{e(_sentence(rng, when))}</a></li>' for _ in range(12)
    )
    story = "".join(f"<p>{e(p)}</p>\n" for p in paragraphs)
    author = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    page = (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)} | {e(site.name)}</title>\n"
        f'<meta name="description" content="{e(_clip(paragraphs[0], 160))}">\n'
        f'<meta property="og:title" content="{e(title)}">\n<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{e(site.name)}">\n'
        f'<meta property="article:published_time" content="{when.isoformat()}">\n{site.head}</head>\n'
        f'<body>\n<div class="cookie-banner">We use cookies to improve your experience. '
        f"<button>Accept all</button> <button>Settings</button></div>\n"
        f'<header><a class="logo" href="/">{e(site.name)}</a><nav>{site.nav}</nav>'
        f'<form class="search"><input name="q" placeholder="Search"></form></header>\n'
        f'<div class="ad-slot" id="ad-top">Advertisement</div>\n<main>\n<article>\n<h1>{e(title)}</h1>\n'
        f'<p class="byline">By <a href="/authors/{_slug(author)}">{e(author)}</a></p>\n'
        f'<time datetime="{when.isoformat()}">{when:%B} {when.day}, {when.year}</time>\n'
        f'<div class="story-body">\n{story}</div>\n</article>\n'
        f'<aside class="related"><h2>Most read</h2><ol>{related}</ol></aside>\n</main>\n'
        f'<div class="newsletter">Get the Trade Brief in your inbox every morning. '
        f'<input type="email" placeholder="Email"> <button>Sign up</button></div>\n'
        f"<footer>{site.footer}<p>&copy; {when.year} {e(site.name)}. All rights reserved.</p></footer>\n"
    )
    # Embedded page state, as server-rendered sites ship it: pads the page to a size drawn in 60-120 KB.
    pad = max(0, rng.randint(60_000, 120_000) - len(page) - 40)
    start = rng.randrange(max(1, len(site.filler) - pad))
    state = json.dumps({"headline": title, "related": site.filler[start : start + pad]})
    return (
        page + f'<script type="application/json" id="__STATE__">{state}</script>\n</body>\n</html>\n'
    ).encode()


# --- shared ----------------------------------------------------------------------------------------------


def _rss(index: int, items: Sequence[CorpusArticle], base: str) -> bytes:
    entries = "".join(
        f"<item>\n<title>{escape(a.title)}</title>\n<link>{escape(base + a.path)}</link>\n"
        f'<guid isPermaLink="true">{escape(base + a.path)}</guid>\n'
        f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>\n"
        f"<description>{escape(a.summary)}</description>\n</item>\n"
        for a in items
    )
    newest = max((a.published for a in items), default=EPOCH)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
        f"<title>Bench Trade Feed {index + 1:02d}</title>\n<link>{escape(base)}/s{index + 1:02d}/</link>\n"
        f"<description>Benchmark feed {index + 1} of tradewatch</description>\n<language>en</language>\n"
        f"<lastBuildDate>{format_datetime(newest, usegmt=True)}</lastBuildDate>\n"
        f"{entries}</channel>\n</rss>\n"
    ).encode()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _clip(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters (with an ellipsis)."""
    text = _one_line(text)
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:8]
    return "-".join(words) or "article"
