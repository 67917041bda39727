"""The registered version and request log the monitor tests read (mlops.testing.monitoring), and the
step called on them."""

from pathlib import Path

import pytest

from mlops.testing.monitoring import END, MODEL, Registered, register_monitored
from monitor.core import run_monitor


@pytest.fixture()
def registered(tmp_path: Path) -> Registered:
    return register_monitored(tmp_path)


def monitor(registered: Registered, out: Path, **changes: object):  # (run_monitor's pair)
    arguments: dict = {"model_name": MODEL, "version": "", "source_uri": registered.requests, "window": "1d",
                       "window_end": END.isoformat(), "config": {}}  # fmt: skip
    arguments.update(changes)
    return run_monitor(
        registered.registry_uri,
        report_path=str(out / "report.html"),
        metrics_path=str(out / "metrics.json"),
        alerts_dir=str(out / "alerts"),
        **arguments,
    )
