"""Local endpoints: real server processes on loopback, started, health-checked, called and stopped.

The server is `mlops.testing.stand_in_server`, a test double of components/serve that keeps its
contract (AIP_* variables, 503 then 200 on the health route, `{"instances"}` -> `{"predictions"}`,
400 on bad input). It stands in for the server, not for any of our code: everything between
`LocalEndpoints` and the socket is real.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.endpoints import EndpointError, LocalEndpoints
from mlops.endpoints.servers import http_status, process_alive
from mlops.registry import LocalModelRegistry, ModelVersion
from mlops.testing import stand_in_server
from mlops.testing.stand_in_server import write_model

SERVER = (sys.executable, stand_in_server.__file__)


@pytest.fixture()
def local(tmp_path: Path) -> Iterator[LocalEndpoints]:
    endpoints = LocalEndpoints(str(tmp_path / "endpoints"), command=SERVER, health_timeout=30)
    yield endpoints
    for endpoint in endpoints.list_endpoints():  # no server outlives its test
        endpoints.undeploy(endpoint.name)


@pytest.fixture()
def registry(tmp_path: Path) -> LocalModelRegistry:
    return LocalModelRegistry(tmp_path / "registry")


def register(registry: LocalModelRegistry, folder: Path, bias: float, not_ready: int = 0) -> ModelVersion:
    return registry.register("churn", str(write_model(folder, bias=bias, not_ready=not_ready)), metrics={})


def record(local: LocalEndpoints, name: str = "churn-endpoint") -> dict:
    return json.loads((local.root / f"{name}.json").read_text())


def test_deploy_waits_for_health_then_serves_and_is_recorded(
    local: LocalEndpoints, registry: LocalModelRegistry, tmp_path: Path
) -> None:
    version = register(registry, tmp_path / "m1", bias=1.0, not_ready=3)  # 503 three times: still loading
    endpoint = local.deploy(version, "churn-endpoint")
    assert endpoint.status == "healthy" and endpoint.address.startswith("http://127.0.0.1:")
    saved = record(local)
    assert (saved["model_name"], saved["version"], saved["mode"]) == ("churn", "1", "process")
    assert saved["url"] == f"http://127.0.0.1:{saved['port']}" and saved["bundle_uri"] == version.bundle_uri
    assert process_alive(saved["pid"], saved["pid_start"]) and "serving" in Path(saved["log"]).read_text()
    assert local.predict("churn-endpoint", [{"x": 2}, {"x": 0.5}])["predictions"] == [3.0, 1.5]
    (listed,) = local.list_endpoints()
    assert (listed.name, listed.status, listed.models[0].version) == ("churn-endpoint", "healthy", "1")


def test_a_new_version_replaces_the_old_only_once_healthy_and_rollback_returns(
    local: LocalEndpoints, registry: LocalModelRegistry, tmp_path: Path
) -> None:
    first = register(registry, tmp_path / "m1", bias=1.0)
    local.deploy(first, "churn-endpoint")
    old = record(local)
    second = register(registry, tmp_path / "m2", bias=10.0)
    local.deploy(second, "churn-endpoint")
    new = record(local)
    assert not process_alive(old["pid"], old["pid_start"]) and new["port"] != old["port"]
    assert new["previous"] == {"model_name": "churn", "version": "1", "bundle_uri": first.bundle_uri}
    assert local.predict("churn-endpoint", [{"x": 1}])["predictions"] == [11.0]
    assert local.rollback("churn-endpoint").models[0].version == "1"
    assert local.predict("churn-endpoint", [{"x": 1}])["predictions"] == [2.0]
    assert not process_alive(new["pid"], new["pid_start"])
    with pytest.raises(EndpointError, match="has no earlier version recorded"):
        local.rollback("churn-endpoint")


def test_a_version_that_fails_to_load_leaves_the_old_one_serving(
    local: LocalEndpoints, registry: LocalModelRegistry, tmp_path: Path
) -> None:
    local.deploy(register(registry, tmp_path / "m1", bias=1.0), "churn-endpoint")
    before = record(local)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "model.txt").write_text("not a model the server can load")
    broken = registry.register("churn", str(tmp_path / "other"), metrics={})
    with pytest.raises(EndpointError, match=r"churn:2 at endpoint 'churn-endpoint': .*exited before.*cannot load"):
        local.deploy(broken, "churn-endpoint")
    assert record(local) == before and local.predict("churn-endpoint", [{"x": 1}])["predictions"] == [2.0]


def test_a_server_that_never_gets_healthy_is_stopped(tmp_path: Path, registry: LocalModelRegistry) -> None:
    slow = LocalEndpoints(str(tmp_path / "endpoints"), command=SERVER, health_timeout=0.5)
    with pytest.raises(EndpointError, match=r"not healthy after 0.5 s \(last: HTTP 503\)"):
        slow.deploy(register(registry, tmp_path / "m1", bias=0, not_ready=10**9), "churn-endpoint")
    assert slow.list_endpoints() == []
    (log,) = (tmp_path / "endpoints" / "logs").iterdir()
    port = int(log.stem.rsplit("-", 1)[1])
    assert http_status(f"http://127.0.0.1:{port}/health") is None  # nothing answers there any more


def test_bad_input_and_unknown_endpoints_are_clear_errors(
    local: LocalEndpoints, registry: LocalModelRegistry, tmp_path: Path
) -> None:
    local.deploy(register(registry, tmp_path / "m1", bias=1.0), "churn-endpoint")
    with pytest.raises(EndpointError, match=r"refused the request \(HTTP 400\): bad instances: "):
        local.predict("churn-endpoint", [{"y": 1}])
    port = record(local)["port"]
    with pytest.raises(EndpointError, match=f"port {port} is used by endpoint 'churn-endpoint'"):
        local.deploy(register(registry, tmp_path / "m2", bias=2.0), "churn-endpoint", port=port)
    stopped = local.undeploy("churn-endpoint")
    assert stopped.status == "stopped" and local.list_endpoints() == []
    with pytest.raises(EndpointError, match="no local endpoint 'churn-endpoint' is recorded under"):
        local.predict("churn-endpoint", [{"x": 1}])

