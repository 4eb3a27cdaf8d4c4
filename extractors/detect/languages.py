"""Which language's rules read a text: the article's own language when detection has rules for it, and for
text that does not say, the language it is recognisably written in. Rules per language are data
(`rules/languages.toml`); a language without them is reported, never read as English."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

_WORDS = re.compile(r"[^\W\d_]+")
_SAMPLE_CHARS = 20_000  # enough words to judge; a long page need not be read whole


@dataclass(frozen=True, slots=True)
class LanguageRules:
    code: str  # ISO 639-1
    name: str
    function_words: frozenset[str]
    min_share: float


def _load(path: Path) -> dict[str, LanguageRules]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        code: LanguageRules(code, e["name"], frozenset(e["function_words"]), float(e["min_share"]))
        for code, e in data.items()
    }


RULES = _load(Path(__file__).with_name("rules") / "languages.toml")


def reading_language(declared: str | None, text: str) -> str | None:
    """The language whose rules apply to `text`, or None when detection has none for it. `declared` (ISO
    639-1, from the page, the feed or the source's configuration) is trusted when given."""
    if declared:
        code = declared.strip().lower()[:2]
        return code if code in RULES else None
    words = _WORDS.findall(text[:_SAMPLE_CHARS].lower())
    if not words:
        return None
    for rules in RULES.values():
        if sum(w in rules.function_words for w in words) / len(words) >= rules.min_share:
            return rules.code
    return None
