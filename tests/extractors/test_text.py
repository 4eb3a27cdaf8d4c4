from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractors.text import CONTROL, TITLE_MAX, plain_text

TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", ZWNJ after its first word


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Plain  title\n\twith   spaces ", "Plain title with spaces"),
        ("AT&amp;T &lt; Verizon", "AT&T < Verizon"),
        ("AT&T <3 tariffs", "AT&T <3 tariffs"),
        ("<p>One</p><p>Two</p>", "One Two"),
        ("Line<br>break", "Line break"),
        ("<b>Bold</b> and <i>italic</i>", "Bold and italic"),
        ("x<script>alert(1)</script>y", "xy"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;News", "News"),
        ("&amp;lt;iframe src=x&amp;gt;&amp;lt;/iframe&amp;gt;News", "News"),
        ("<img src=x onerror=alert(1)>Caption", "Caption"),
        ("Unclosed <script src=x", "Unclosed script src=x"),
        ("bell\x07 and\u202e bidi\u200b", "bell and bidi"),
        ("<style>p{}</style>", None),
        ("   ", None),
        (None, None),
    ],
)
def test_plain_text(raw: str | None, expected: str | None) -> None:
    assert plain_text(raw, 100) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # harmless: kept exactly
        ("'); drop table articles; --", "'); drop table articles; --"),
        ("Robert'); DROP TABLE articles;--", "Robert'); DROP TABLE articles;--"),
        (
            "🇺🇸 tariffs 👨\u200d👩\u200d👧 👍🏽",
            "🇺🇸 tariffs 👨\u200d👩\u200d👧 👍🏽",
        ),  # ZWJ holds the family together
        ("de\u0301cision tarifaire", "de\u0301cision tarifaire"),  # combining mark, not normalised
        (PERSIAN, PERSIAN),  # Persian needs its zero-width non-joiner
        # cleaned: NUL, lone surrogates, bidi overrides and isolates, zero-width space, word joiner, BOM
        ("nul\x00here", "nulhere"),
        ("lone\ud800 surrogate\udfff", "lone surrogate"),
        ("\u202eevil\u202c \u2066isolate\u2069", "evil isolate"),
        ("zero\u200bwidth\u2060joined\ufeff", "zerowidthjoined"),
        # an entity that only becomes a control character once unescaped goes too
        ("over&#x202E;ride &amp;#x200B;zero &#8238;x", "override zero x"),
        ("<scr\x00ipt>alert(1)</script>News", "News"),
        ("<\u202escript>alert(1)</script>", None),
    ],
)
def test_hostile_strings(raw: str, expected: str) -> None:
    assert plain_text(raw, TITLE_MAX) == expected


def test_ten_thousand_characters_are_capped_with_an_ellipsis() -> None:
    text = plain_text("tariff " * 1500, TITLE_MAX)
    assert text is not None and len(text) == TITLE_MAX and text.endswith("…")


@given(st.text(max_size=200))
def test_plain_text_never_leaves_markup_or_control_characters(raw: str) -> None:
    text = plain_text(raw, 500)
    assert text is None or (TAG_LIKE.search(text) is None and len(text) <= 500)
    assert text is None or CONTROL.search(text) is None


@given(st.text(alphabet=st.sampled_from("<>&#;x2eE0D8scriptamp\u202e\x00\ud800 "), max_size=60))
def test_entities_and_controls_never_combine_into_markup(raw: str) -> None:
    """The alphabet that builds entities, tags and controls, so hypothesis finds their combinations."""
    text = plain_text(raw, 500)
    assert text is None or (TAG_LIKE.search(text) is None and CONTROL.search(text) is None)
