"""Channel names and scrubbing on many apprise URL shapes: no secret part of a URL may survive in its
shown name or in any text scrubbed of it, in any form (as written, percent-decoded, percent-encoded).

Each shape lists its secrets by hand, from what the service's URL means (tokens, users, passwords,
topics, paths, query values), not from the code under test. What counts as a leak follows the rule
`scrub` documents: a secret of 8+ characters found anywhere (ignoring case), of 3-7 characters found as a
word, of 1-2 characters found as a URL component (`:xx@`, `=xx&`, `/xx/`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest

from flows.channels import URLS_ENV, channel_urls, channels, redact_url, scrub
from flows.config import load_settings

# (url, how it is shown before "#fingerprint", its secret parts)
SHAPES: list[tuple[str, str, list[str]]] = [
    (
        "json://user:hunter2pw@hooks.example.com/hook?token=abc123",
        "json://hooks.example.com",
        ["user", "hunter2pw", "hook", "abc123"],
    ),
    (
        "jsons://bob:Pa55word@hooks.example.com:8443/api/v1/notify?key=k3yv4lue&:X-Api-Key=apikey123",
        "jsons://hooks.example.com:8443",
        ["bob", "Pa55word", "api", "v1", "notify", "k3yv4lue", "apikey123"],
    ),
    (
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#general",
        "slack://***",
        ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ", "general"],
    ),
    ("slack://tokena/tokenb/tokenc", "slack://***", ["tokena", "tokenb", "tokenc"]),  # lower-case tokens
    (
        "https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ",
        "https://***",  # a webhook form apprise maps to slack, whose template has no host
        ["T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7FQ"],
    ),
    (
        "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js",
        "discord://***",
        ["4174216298", "JHMHI8qBe7bk2ZwO5U711o3dV_js"],
    ),
    (
        "tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654321",
        "tgram://***",
        ["123456789", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "987654321"],
    ),
    ("mailto://alerts:app-password-9@gmail.com", "mailto://gmail.com", ["alerts", "app-password-9"]),
    (
        "mailtos://joe:p%40ss%2Fword@example.com?smtp=smtp.example.com&from=me@example.com&to=you@example.com",
        "mailtos://example.com",
        ["joe", "p%40ss%2Fword", "p@ss/word", "smtp.example.com", "me@example.com", "you@example.com"],
    ),
    ("ntfy://ntfy.sh/mysecrettopic", "ntfy://ntfy.sh", ["mysecrettopic"]),
    ("ntfy://mysecrettopic", "ntfy://***", ["mysecrettopic"]),  # the cloud form: the host is the topic
    (
        "ntfys://ntfyuser:ntfypass@ntfy.example.com/alerts1",
        "ntfys://ntfy.example.com",
        ["ntfyuser", "ntfypass", "alerts1"],
    ),
    ("gotify://gotify.example.com/AbCdEf123456", "gotify://gotify.example.com", ["AbCdEf123456"]),
    (
        "pover://usertoken1234567890@apptoken0987654321",
        "pover://***",
        ["usertoken1234567890", "apptoken0987654321"],
    ),
    (
        "msteams://team/tokenA/tokenB/tokenC",  # no longer a valid msteams URL: masked all the same
        "msteams://***",
        ["team", "tokenA", "tokenB", "tokenC"],
    ),
    (
        "matrix://mxuser:mxpass77@matrix.example.org/#room:example.org",
        "matrix://matrix.example.org",
        ["mxuser", "mxpass77", "room"],
    ),
    ("matrix://t2bottoken123?mode=t2bot", "matrix://***", ["t2bottoken123"]),
    (
        "rocket://rcuser:rcpass99@chat.example.com/#ops",
        "rocket://chat.example.com",
        ["rcuser", "rcpass99", "ops"],
    ),
    ("mmost://mm.example.com/abcdefghijklmnop", "mmost://mm.example.com", ["abcdefghijklmnop"]),
    (
        "twilio://ACabc123:authtoken456@15551234567/15557654321",
        "twilio://***",
        ["ACabc123", "authtoken456", "15551234567", "15557654321"],
    ),
    (
        "sns://AKIAEXAMPLE/wJalrXUtnFEMIK7MDENG/us-east-1/+15551234567",
        "sns://***",
        ["AKIAEXAMPLE", "wJalrXUtnFEMIK7MDENG", "15551234567"],
    ),
    (
        "ses://me@example.com/AKIAEXAMPLE/wJalrXUtnFEMIK7MDENG/us-east-1/",
        "ses://***",
        ["me", "AKIAEXAMPLE", "wJalrXUtnFEMIK7MDENG"],
    ),
    (
        "xml://hooks.example.com/hook?token=s3cr3tvalue",
        "xml://hooks.example.com",
        ["hook", "s3cr3tvalue"],
    ),
    ("json://u:p2@hooks.example.com/x", "json://hooks.example.com", ["u", "p2", "x"]),  # 1-2 characters
    ("json://[2001:db8::1]:8080/hook?token=t0ken", "json://[2001:db8::1]:8080", ["hook", "t0ken"]),
    ("json://127.0.0.1:8000/hook", "json://127.0.0.1:8000", ["hook"]),
    ("json://myserver/hook", "json://***", ["myserver", "hook"]),  # one label: maybe a token, so masked
    ("not a url", "***://***", ["not a url"]),
]


def _fingerprint(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:8]


def _forms(secret: str) -> set[str]:
    return {secret, unquote(secret), quote(unquote(secret), safe="")}


def _leaks(text: str, secrets: list[str]) -> list[str]:
    """The secrets (in any form) that `text` still shows, by the rule in the module docstring."""
    leaked = []
    for secret in secrets:
        for form in _forms(secret):
            e = re.escape(form)
            if len(form) >= 8:
                found = form.lower() in text.lower()
            elif len(form) >= 3:
                found = re.search(rf"(?<![^\W_]){e}(?![^\W_])", text, re.I) is not None
            else:
                found = any(f"{a}{form}{b}".lower() in text.lower() for a, b in (":@", "=&", "//"))
            if found:
                leaked.append(form)
    return leaked


def _noisy_text(url: str, secrets: list[str]) -> str:
    """An error text with the URL in every form and each secret bare and inside URL components."""
    forms = [url, unquote(url), quote(url, safe="")]
    parts = [f"{s} user:{s}@host ?key={s}&x /{s}/ {quote(unquote(s), safe='')}" for s in secrets]
    return "failed to reach " + " or ".join(forms) + ": " + "; ".join(parts)


def test_there_are_at_least_twenty_shapes() -> None:
    assert len(SHAPES) >= 20


@pytest.mark.parametrize(("url", "shown", "secrets"), SHAPES, ids=[s[0][:40] for s in SHAPES])
def test_a_channel_is_shown_by_scheme_host_and_fingerprint(url: str, shown: str, secrets: list[str]) -> None:
    name = redact_url(url)
    assert name == f"{shown}#{_fingerprint(url)}"
    assert _leaks(name.partition("#")[0], secrets) == []


@pytest.mark.parametrize(("url", "shown", "secrets"), SHAPES, ids=[s[0][:40] for s in SHAPES])
def test_scrub_leaves_no_secret_part_in_any_form(url: str, shown: str, secrets: list[str]) -> None:
    scrubbed = scrub(_noisy_text(url, secrets), [url])
    assert _leaks(scrubbed, secrets) == []
    assert f"{shown}#{_fingerprint(url)}" in scrubbed  # the URL itself became the channel's name


def test_scrub_keeps_ordinary_words_around_short_secrets() -> None:
    url = "json://u:p2@hooks.example.com/hook"
    text = "the webhook at hooks.example.com failed at 10:30 on p2 of the u-boat report"
    assert scrub(text, [url]) == text  # "hook" inside "webhook", "p2" and "u" in prose stay
    assert scrub("as u@hooks.example.com, password :p2@", [url]) == "as ***@hooks.example.com, password :***@"
    assert scrub("login u:p2@hooks.example.com refused", [url]) == "login ***@hooks.example.com refused"
    assert scrub("POST /hook failed", [url]) == "POST *** failed"  # the path, whole


def test_scrub_of_many_urls_masks_the_secrets_of_each() -> None:
    urls = [SHAPES[0][0], SHAPES[6][0]]
    text = f"one: {SHAPES[0][2][1]}, two: {SHAPES[6][2][1]}"
    assert scrub(text, urls) == "one: ***, two: ***"


def test_channels_from_env_replace_the_config_and_stay_distinct(tmp_path: Path) -> None:
    config = tmp_path / "tw.toml"
    config.write_text('[alerts]\nurls = ["json://127.0.0.1:1/a"]\ndue_soon_days = 3\n')
    settings = load_settings(config)
    assert settings.alerts.due_soon_days == 3
    assert channel_urls(settings, {}) == ("json://127.0.0.1:1/a",)
    a, b = "tgram://111:AAA-secret/1", "tgram://222:BBB-secret/1"
    env = {URLS_ENV: f"{a}  {b}  {a}"}
    assert channel_urls(settings, env) == (a, b, a)
    # Told apart by their fingerprints, in configured order; the same URL twice is one channel.
    assert channels(channel_urls(settings, env)) == {
        f"tgram://***#{_fingerprint(a)}": a,
        f"tgram://***#{_fingerprint(b)}": b,
    }
    assert channel_urls(settings, {URLS_ENV: ""}) == ()
