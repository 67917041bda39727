"""`deploy --docker`: the model server in a container on the local engine, health-checked, called, replaced.

The image is the stand-in server (mlops.testing.stand_in_server, a test double of components/serve
that keeps its AIP_* contract) on the offline Python base; the bundle is mounted read-only as
`AIP_STORAGE_URI=/model`, as LocalEndpoints does for the real serving image. Needs a Docker engine
(build-support/ensure-docker.sh).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from mlops.endpoints import EndpointError, LocalEndpoints
from mlops.endpoints.servers import container_alive
from mlops.registry import LocalModelRegistry
from mlops.testing import stand_in_server

BASES = ("vertex-mlops/python-offline:3.11-bookworm", "python:3.11-slim")  # ensure-docker.sh's, or the official
TAG = "vertex-mlops-test/stand-in-server:latest"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    client = docker.from_env()
    base = next((name for name in BASES if client.images.list(name=name)), None)
    assert base, f"none of {BASES} is on the Docker engine: run build-support/ensure-docker.sh"
    context = tmp_path_factory.mktemp("image")
    shutil.copy(stand_in_server.__file__, context / "stand_in_server.py")
    (context / "Dockerfile").write_text(
        f"FROM {base}\nCOPY stand_in_server.py /srv/\nENV STAND_IN_HOST=0.0.0.0\n"
        'ENTRYPOINT ["python3", "/srv/stand_in_server.py"]\n'
    )
    client.images.build(path=str(context), tag=TAG, rm=True)
    return TAG


@pytest.fixture()
def local(tmp_path: Path) -> Iterator[LocalEndpoints]:
    endpoints = LocalEndpoints(str(tmp_path / "endpoints"), health_timeout=60)
    yield endpoints
    for endpoint in endpoints.list_endpoints():
        endpoints.undeploy(endpoint.name)


def test_a_container_serves_the_mounted_bundle_and_is_replaced_once_healthy(
    local: LocalEndpoints, image: str, tmp_path: Path
) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    first = registry.register("churn", str(stand_in_server.write_model(tmp_path / "m1", bias=1.0)), metrics={})
    endpoint = local.deploy(first, "churn-endpoint", image=image)
    assert endpoint.status == "healthy" and local.predict("churn-endpoint", [{"x": 1}])["predictions"] == [2.0]
    old = endpoint.models[0].id
    (tmp_path / "m2").mkdir()
    (tmp_path / "m2" / "other.txt").write_text("no model here")
    broken = registry.register("churn", str(tmp_path / "m2"), metrics={})
    with pytest.raises(EndpointError, match=r"churn:2 at endpoint 'churn-endpoint': .*cannot load the model"):
        local.deploy(broken, "churn-endpoint", image=image)
    assert local.get("churn-endpoint").models[0].id == old and container_alive(local.get("churn-endpoint").models[0].id)
    second = registry.register("churn", str(stand_in_server.write_model(tmp_path / "m3", bias=5.0)), metrics={})
    local.deploy(second, "churn-endpoint", image=image)
    assert local.predict("churn-endpoint", [{"x": 1}])["predictions"] == [6.0]
    assert not container_alive(old)
