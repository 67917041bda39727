"""The registered version and request log the monitor tests read (mlops.testing.monitoring)."""

from pathlib import Path

import pytest

from mlops.testing.monitoring import Registered, register_monitored


@pytest.fixture()
def registered(tmp_path: Path) -> Registered:
    return register_monitored(tmp_path)
