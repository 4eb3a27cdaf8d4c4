from pathlib import Path

import pytest

from flows.config import ConfigError, load_settings

GOOD = """
sample = false
[warehouse]
path = "w.duckdb"
[http]
timeout_s = 5
[[sources]]
name = "Trade Wire"
feed_url = "https://example.org/rss.xml"
country = "USA"
language = "en"
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "tw.toml"
    path.write_text(body)
    return path


def test_a_good_file_loads(tmp_path: Path) -> None:
    settings = load_settings(_write(tmp_path, GOOD))
    assert settings.http.timeout_s == 5
    assert [s.name for s in settings.enabled_sources] == ["Trade Wire"]
    assert settings.warehouse.path == Path("w.duckdb")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWATCH_HTTP__TIMEOUT_S", "7.5")
    monkeypatch.setenv("TRADEWATCH_WAREHOUSE__PATH", "/tmp/other.duckdb")
    settings = load_settings(_write(tmp_path, GOOD))
    assert settings.http.timeout_s == 7.5
    assert settings.warehouse.path == Path("/tmp/other.duckdb")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (GOOD.replace("timeout_s = 5", 'timeout_s = "soon"'), r"http\.timeout_s: .*number.*'soon'"),
        (
            GOOD.replace("https://example.org/rss.xml", "not a url"),
            r'sources\[0\]\.feed_url \(source "Trade Wire"\)',
        ),
        (GOOD.replace('country = "USA"', 'country = "United States"'), r"sources\[0\]\.country"),
        (GOOD + "\n[mystery]\nx = 1\n", r"mystery: Extra inputs are not permitted"),
        (GOOD + '\n[[sources]]\nname = "Trade Wire"\nfeed_url = "https://e.org/2"\n', "repeated: Trade Wire"),
        ('[schedule]\ncron = "daily"\n', r"schedule\.cron: .*five fields"),
        ('[schedule]\ncron = "99 99 * * *"\n', r"schedule\.cron: .*not a valid cron.*'99 99 \* \* \*'"),
        ('[schedule]\ncron = "0 6 30 2 *"\n', r"schedule\.cron: .*not a valid cron expression"),  # never due
        ('[schedule]\ntimezone = "Mars/Olympus"\n', r"schedule\.timezone: .*unknown time.*'Mars/Olympus'"),
        ('[schedule]\ntimezone = "Europe"\n', r"schedule\.timezone: .*unknown time zone"),  # a folder
        ("sample = [unclosed", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_key_and_problem(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError, match=expected) as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_a_schedule_with_ranges_names_and_a_zone_loads(tmp_path: Path) -> None:
    body = '[schedule]\ncron = "*/30 6-18 * * MON-FRI"\ntimezone = "America/New_York"\n'
    schedule = load_settings(_write(tmp_path, body)).schedule
    assert (schedule.cron, schedule.timezone) == ("*/30 6-18 * * MON-FRI", "America/New_York")


def test_a_bad_schedule_from_the_environment_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEWATCH_SCHEDULE__TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match=r"schedule\.timezone: .*unknown time zone"):
        load_settings(_write(tmp_path, GOOD))


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_the_shipped_default_config_loads() -> None:
    settings = load_settings(Path(__file__).resolve().parents[2] / "tradewatch.toml")
    assert settings.sample is True
