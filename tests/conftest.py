"""Session-wide test set-up. Environment first: Prefect reads it at import.

Unit tests call tasks' `.fn`; with the ephemeral server disabled, an accidental flow or task call outside
the harness fails at once instead of starting a server. The few flow tests share one harness.
"""

import os
import tempfile

os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="tradewatch-prefect-"))

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
