"""Settings of the fetcher (`[http]` in tradewatch.toml).

They live beside `extractors/http.py`, not in `flows/config.py`, because extractors never import from
flows; `flows.config` imports this model into its `Settings` and re-exports the name.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class HttpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Per network operation (connect, one read, one write): a server that sends nothing for this long fails.
    timeout_s: Annotated[float, Field(gt=0, le=300)] = 20.0
    # Wall time for one URL, retries and redirects included, from its first request: `timeout_s` alone
    # cannot stop a server that drips a byte a second, nor four silent tries in a row.
    deadline_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10_000_000
    concurrency: Annotated[int, Field(ge=1, le=256)] = 16
    per_host_delay_s: Annotated[float, Field(ge=0, le=60)] = 0.5
    user_agent: str = "tradewatch/0.1 (+https://github.com/tradewatch/tradewatch)"
    max_redirects: Annotated[int, Field(ge=0, le=20)] = 5
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    backoff_s: Annotated[float, Field(ge=0, le=60)] = 1.0
    max_retry_after_s: Annotated[float, Field(ge=0, le=3600)] = 60.0
    # SSRF guard: private, loopback and link-local addresses are refused unless listed here.
    allowed_private_hosts: tuple[str, ...] = ()
