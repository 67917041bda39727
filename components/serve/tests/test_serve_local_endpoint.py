"""`mlops deploy --target local` with the real server: mlops.endpoints.LocalEndpoints starts
`python -m serve` on a registered bundle, waits for its health route, calls it and replaces it.

The library's own tests use a stand-in server (libs cannot depend on a component); this test,
where the server's code is, proves the two agree on the contract (AIP_* variables, 503 then 200,
predictions, 400 with the field at fault, SIGTERM).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mlops.endpoints import EndpointError, LocalEndpoints
from mlops.endpoints.servers import process_alive
from mlops.registry import LocalModelRegistry
from serve import api
from serve_fixtures import CHURN_ROW  # pants: no-infer-dep

pytest_plugins = ["serve_fixtures"]  # fixtures: see serve_fixtures.py


@pytest.fixture()
def local(tmp_path: Path) -> Iterator[LocalEndpoints]:
    # One worker: the test machine is small; PYTHONPATH: the server imports this sandbox's code.
    env = {"PYTHONPATH": os.pathsep.join(sys.path), api.WORKERS_ENV: "1"}
    endpoints = LocalEndpoints(str(tmp_path / "endpoints"), command=api.command(), env=env, health_timeout=120)
    yield endpoints
    for endpoint in endpoints.list_endpoints():  # no server outlives its test
        endpoints.undeploy(endpoint.name)


def test_the_real_server_is_deployed_called_and_replaced(
    local: LocalEndpoints, bundles: dict[str, str], tmp_path: Path
) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    first = registry.register("churn", bundles["churn"], metrics={})
    assert local.deploy(first, "churn-endpoint").status == "healthy"
    (prediction,) = local.predict("churn-endpoint", [CHURN_ROW])["predictions"]
    assert prediction["label"] in (0, 1) and len(prediction["scores"]) == 2
    with pytest.raises(EndpointError, match=r"HTTP 400\): instance 0 field 'tenure_months': missing"):
        local.predict("churn-endpoint", [{key: v for key, v in CHURN_ROW.items() if key != "tenure_months"}])
    old = local.get("churn-endpoint").models[0].id
    second = registry.register("churn", bundles["churn"], metrics={})
    assert local.deploy(second, "churn-endpoint").models[0].version == "2"
    assert not process_alive(int(old), "")  # SIGTERM: the old server shut down
    assert local.predict("churn-endpoint", [CHURN_ROW])["predictions"] == [prediction]


def test_a_local_server_records_its_requests_for_monitoring(
    tmp_path: Path, bundles: dict[str, str]
) -> None:
    env = {"PYTHONPATH": os.pathsep.join(sys.path), api.WORKERS_ENV: "1"}
    local = LocalEndpoints(str(tmp_path / "endpoints"), command=api.command(), env=env, request_sample_rate=1.0)
    version = LocalModelRegistry(tmp_path / "registry").register("churn", bundles["churn"], metrics={})
    local.deploy(version, "churn-endpoint")
    for _ in range(3):
        local.predict("churn-endpoint", [CHURN_ROW])
    local.undeploy("churn-endpoint")  # SIGTERM: the server writes what it still holds
    files = list((tmp_path / "endpoints" / "requests" / "churn-endpoint").rglob("*.parquet"))
    rows = sum(pq.read_metadata(path).num_rows for path in files)
    assert rows == 3
