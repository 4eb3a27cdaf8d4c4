"""The bundled sample news: three fictional outlets served from 127.0.0.1 for `make run` and tests.

The pages under `samples/site/` are templates, so the corpus always looks fresh: articles are dated relative
to the day it is served and their deadlines stay ahead of it. Two tokens are understood:

* `{{base_url}}` -> the server's base URL, without a trailing slash;
* `{{date:OFFSET:FORMAT}}` or `{{date:OFFSET:FORMAT:HH:MM}}` -> `today` shifted by OFFSET days (`-3`, `0`,
  `+12`), written in FORMAT: `rfc822` (Tue, 24 Nov 2026 09:00:00 +0000), `iso` (2026-11-24), `isotime`
  (2026-11-24T09:00:00Z), `long` (November 24, 2026), `month_day` (November 24) or `day_month`
  (24 November). Only `rfc822` and `isotime` take the optional UTC time, which defaults to 09:00.

Rendering is pure, `today` and `base_url` being arguments; an unknown token raises ValueError naming the file.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from pathlib import Path

from flows.config import SourceConfig
from flows.local_server import Page, serve


def _samples_dir() -> Path:
    # The wheel force-includes samples/ as flows/samples; a source checkout has it beside flows/.
    packaged = Path(__file__).parent / "samples"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "samples"


SAMPLES_DIR: Path = _samples_dir()
# A fixed port keeps the sample's article URLs, hence their identities, the same from run to run.
SAMPLE_PORT = 8719
SITE_DIR = "site"  # URL paths mirror the files under samples/site/
DEFAULT_TIME = time(9, 0)

_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_TOKEN = re.compile(r"\{\{(.*?)\}\}")
_OFFSET = re.compile(r"[+-]?\d{1,5}")
_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}


def _format_date(day: date, fmt: str, at: time | None) -> str | None:
    """`day` written in `fmt`, or None if `fmt` is unknown or does not take a time."""
    month = _MONTHS[day.month - 1]
    if fmt in ("rfc822", "isotime"):
        moment = datetime.combine(day, at or DEFAULT_TIME, tzinfo=UTC)
        return format_datetime(moment) if fmt == "rfc822" else moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if at is not None:
        return None
    return {
        "iso": day.isoformat(),
        "long": f"{month} {day.day}, {day.year}",
        "month_day": f"{month} {day.day}",
        "day_month": f"{day.day} {month}",
    }.get(fmt)


def render_template(text: str, today: date, base_url: str, name: str) -> str:
    """Replace every token in `text`; `name` (the template's file) is quoted in errors."""
    base = base_url.rstrip("/")

    def replace(match: re.Match[str]) -> str:
        token = match.group(1).strip()
        if token == "base_url":
            return base
        kind, _, rest = token.partition(":")
        offset, _, rest = rest.partition(":")
        fmt, _, clock = rest.partition(":")
        at = None
        if clock and (parsed := _TIME.fullmatch(clock)):
            at = time(int(parsed.group(1)), int(parsed.group(2)))
        value = None
        if kind == "date" and _OFFSET.fullmatch(offset) and (at is not None or not clock):
            value = _format_date(today + timedelta(days=int(offset)), fmt, at)
        if value is None:
            raise ValueError(f"{name}: unknown token {match.group(0)!r}")
        return value

    rendered = _TOKEN.sub(replace, text)
    if "{{" in rendered:
        raise ValueError(f"{name}: unclosed '{{{{' in template")
    return rendered


def _content_type(path: Path, body: bytes) -> str:
    if path.suffix == ".xml":
        # Feeds are served with their specific types, as publishers do; the root element tells which.
        return (
            "application/atom+xml; charset=utf-8"
            if b"<feed" in body[:512]
            else "application/rss+xml; charset=utf-8"
        )
    return _CONTENT_TYPES.get(path.suffix, "application/octet-stream")


def render_sample(today: date, base_url: str, *, samples_dir: Path | None = None) -> dict[str, Page]:
    """Every template under samples/site/ rendered for `today`, keyed by URL path ("/wire/rss.xml").

    An `index.html` is also served at its folder's path ("/wire/"), as a web server would.
    """
    site = (samples_dir or SAMPLES_DIR) / SITE_DIR
    pages: dict[str, Page] = {}
    for file in sorted(p for p in site.rglob("*") if p.is_file()):
        relative = file.relative_to(site).as_posix()
        text = render_template(file.read_text(encoding="utf-8"), today, base_url, str(file))
        body = text.encode("utf-8")
        page = Page(body=body, content_type=_content_type(file, body))
        pages["/" + relative] = page
        if file.name == "index.html":
            pages["/" + relative.removesuffix("index.html")] = page
    if not pages:
        raise ValueError(f"{site}: no sample pages found")
    return pages


def sample_sources(base_url: str, *, samples_dir: Path | None = None) -> tuple[SourceConfig, ...]:
    """The sample outlets from samples/sources.toml, their feed paths joined to `base_url`."""
    path = (samples_dir or SAMPLES_DIR) / "sources.toml"
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    base = base_url.rstrip("/")
    return tuple(
        SourceConfig.model_validate({**entry, "feed_url": base + "/" + entry["feed_url"].lstrip("/")})
        for entry in data["sources"]
    )


@contextmanager
def serve_sample(today: date, port: int = SAMPLE_PORT) -> Iterator[tuple[str, tuple[SourceConfig, ...]]]:
    """Serve the sample news rendered for `today`; yield (base_url, sources pointing at it).

    Article URLs are article identities, so the sample is served on the same port every run: served on
    a new port, every article would look new. Only when that port is taken does it fall back to a free
    one, with a warning that this run will see the sample as new articles.
    """
    pages: dict[str, Page] = {}
    with ExitStack() as stack:
        try:
            base_url = stack.enter_context(serve(pages, port))
        except OSError:
            logging.getLogger("tradewatch").warning(
                "port %d is taken; serving the sample on a free port: its articles will count as new", port
            )
            base_url = stack.enter_context(serve(pages, 0))
        # The pages embed the base URL, known only once the server has its port: the server reads the
        # mapping on every request, so it is filled in before anyone is told where to look.
        pages.update(render_sample(today, base_url))
        yield base_url, sample_sources(base_url)
