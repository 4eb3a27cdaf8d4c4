"""Configuration: one TOML file, overridable by TRADEWATCH_* environment variables.

Nested keys use a double underscore in the environment: TRADEWATCH_HTTP__TIMEOUT_S=5.
A bad file fails at start with `ConfigError`, naming the file, the key and the problem.
"""

from __future__ import annotations

import os
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

# Defined beside the fetcher (extractors never import flows); importable from here as before.
from extractors.http_settings import HttpSettings

DEFAULT_CONFIG = Path("tradewatch.toml")
CONFIG_ENV = "TRADEWATCH_CONFIG"


class ConfigError(Exception):
    """A configuration problem a user can fix; the message says where and what."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Section):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    feed_url: HttpUrl
    country: Annotated[str | None, Field(pattern=r"^[A-Z]{3}$")] = None  # ISO 3166-1 alpha-3
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2}$")] = None  # ISO 639-1
    enabled: bool = True


class WarehouseSettings(_Section):
    path: Path = Path("data/tradewatch.duckdb")
    # Waiting for the DuckDB file lock, for readers (`tradewatch sql`) and the writer alike.
    lock_timeout_s: Annotated[float, Field(ge=0, le=3600)] = 30.0
    # One run at a time per warehouse: a second run waits this long for the first, then exits (code 75).
    run_wait_s: Annotated[float, Field(ge=0, le=86_400)] = 60.0


class ScheduleSettings(_Section):
    """When `tradewatch serve` runs the flow. Both values are checked here, at load, so a typo stops
    tradewatch with the file and key instead of a traceback from Prefect when `serve` registers them."""

    cron: str = "0 6 * * *"
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        # Five fields only: Prefect's parser also takes a sixth (seconds), which a daily job never needs.
        if len(value.split()) != 5:
            raise ValueError("cron needs five fields: minute hour day-of-month month day-of-week")
        try:
            # cronsim, not Prefect's vendored croniter: that import pulls in all of Prefect (~2 s) on
            # every `tradewatch sql`. cronsim is also stricter (it refuses dates that never occur, such
            # as February 30); the few forms only cronsim accepts are reported by `serve` in one line.
            CronSim(value, datetime(2000, 1, 1))
        except CronSimError as exc:
            raise ValueError(f"not a valid cron expression: {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        # Not found, a malformed key ("", "../x"), or a folder of zones ("Europe").
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError("unknown time zone: use an IANA name such as UTC or Europe/Paris") from None
        return value


class AlertSettings(_Section):
    # apprise URLs (json://, mailto://, slack://, tgram://...); $TRADEWATCH_ALERT_URLS replaces them.
    urls: tuple[str, ...] = ()
    # A "due soon" alert goes out this many days before a deadline.
    due_soon_days: Annotated[int, Field(ge=0, le=365)] = 7


class PipelineSettings(_Section):
    # Entries fetched and extracted per task run; Prefect costs ~35 ms per task, so keep batches large.
    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 200
    extract_workers: Annotated[int, Field(ge=1, le=64)] = 2
    # A failed fetch (timeout, 5xx) is tried again on later runs, up to this many attempts in all.
    max_article_attempts: Annotated[int, Field(ge=1, le=20)] = 3
    # ...and not before this many seconds after the failed try (0: on the next run, whenever it is).
    retry_delay_s: Annotated[float, Field(ge=0, le=30 * 86_400)] = 0.0


class Settings(BaseSettings):
    """Everything tradewatch reads at start. `sample = true` serves the bundled sample news instead of
    `sources`: the switch between the demo and real feeds."""

    model_config = SettingsConfigDict(
        env_prefix="TRADEWATCH_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    sample: bool = False
    sources: tuple[SourceConfig, ...] = ()
    warehouse: WarehouseSettings = WarehouseSettings()
    http: HttpSettings = HttpSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    pipeline: PipelineSettings = PipelineSettings()

    @field_validator("sources")
    @classmethod
    def _unique_names(cls, sources: tuple[SourceConfig, ...]) -> tuple[SourceConfig, ...]:
        names = [s.name for s in sources]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicated)}")
        return sources

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment wins over the file, which arrives as init arguments.
        return (env_settings, init_settings)

    @property
    def enabled_sources(self) -> tuple[SourceConfig, ...]:
        return tuple(s for s in self.sources if s.enabled)


def resolve_config_path(path: Path | None) -> Path | None:
    """The file to read: the argument, else $TRADEWATCH_CONFIG, else ./tradewatch.toml if present."""
    if path is not None:
        return path
    if env := os.environ.get(CONFIG_ENV):
        return Path(env)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def load_settings(path: Path | None = None) -> Settings:
    """Read and validate the configuration, or raise ConfigError with a message fit for a user."""
    resolved = resolve_config_path(path)
    data: dict[str, Any] = {}
    where = "environment"
    if resolved is not None:
        where = str(resolved)
        try:
            data = tomllib.loads(resolved.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{where}: config file not found") from None
        except OSError as exc:
            raise ConfigError(f"{where}: cannot read config file: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{where}: not valid TOML: {exc}") from None
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_describe(where, exc, data)) from None


def _describe(where: str, exc: ValidationError, data: dict[str, Any]) -> str:
    lines = [f"{where}: invalid configuration"]
    for err in exc.errors():
        key = _key_path(err["loc"], data)
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) or value is None else f" (got {value!r})"
        lines.append(f"  {key}: {err['msg']}{shown}")
    return "\n".join(lines)


def _key_path(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """`('sources', 2, 'feed_url')` -> `sources[2].feed_url (name = "x")`, as a user reads the file."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]"
        else:
            parts.append(str(item))
    text = ".".join(parts) or "(top level)"
    if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
        sources = data.get("sources")
        if isinstance(sources, list) and loc[1] < len(sources) and isinstance(sources[loc[1]], dict):
            name = sources[loc[1]].get("name")
            if name:
                text += f' (source "{name}")'
    return text
