"""A local canary with the real server: one `python -m serve` process loads two bundles and answers
exactly the canary's share of requests; the request log tells the two apart by model sha, and
promote and rollback move between the split and one version."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mlops.endpoints import EndpointError, LocalEndpoints
from mlops.model_bundle import read_bundle, save_bundle
from mlops.registry import LocalModelRegistry, ModelVersion
from mlops.testing.bundles import fit_bundle, write_splits
from serve import api
from serve.settings import SettingsError, read_settings
from serve_fixtures import CHURN_ROW  # pants: no-infer-dep

pytest_plugins = ["serve_fixtures"]  # fixtures: see serve_fixtures.py


@pytest.fixture()
def local(tmp_path: Path) -> Iterator[LocalEndpoints]:
    # One worker: the split is exact per worker; PYTHONPATH: the server imports this sandbox's code.
    env = {"PYTHONPATH": os.pathsep.join(sys.path), api.WORKERS_ENV: "1"}
    root = str(tmp_path / "endpoints")
    endpoints = LocalEndpoints(root, command=api.command(), env=env, health_timeout=120, request_sample_rate=1.0)
    yield endpoints
    for endpoint in endpoints.list_endpoints():  # no server outlives its test
        endpoints.undeploy(endpoint.name)


@pytest.fixture()
def versions(tmp_path: Path, bundles: dict[str, str]) -> list[ModelVersion]:
    """churn:1 (the session's bundle) and churn:2 (trained on other rows: another model sha)."""
    other = write_splits(tmp_path, "churn", {"train": (300, 7)})
    save_bundle(fit_bundle("churn", other["train"], "lightgbm"), str(tmp_path / "churn-2"))
    registry = LocalModelRegistry(tmp_path / "registry")
    first = registry.register("churn", bundles["churn"], metrics={})
    second = registry.register("churn", str(tmp_path / "churn-2"), metrics={})
    assert read_bundle(first.bundle_uri).model_sha256 != read_bundle(second.bundle_uri).model_sha256
    return [first, second]


def logged_shas(tmp_path: Path) -> Counter[str]:
    """Rows of the request log by model sha (every request is sampled)."""
    files = (tmp_path / "endpoints" / "requests" / "churn-endpoint").rglob("*.parquet")
    return Counter(sha for path in files for sha in pq.read_table(path, columns=["model_sha256"])[0].to_pylist())


def split(local: LocalEndpoints) -> dict[str, int]:
    return {f"{m.model_name}:{m.version}": m.traffic for m in local.get("churn-endpoint").models}


def test_canary_gets_exactly_its_share_then_promote_and_rollback(
    local: LocalEndpoints, versions: list[ModelVersion], tmp_path: Path
) -> None:
    first, second = versions
    sha1, sha2 = (read_bundle(v.bundle_uri).model_sha256 for v in versions)
    local.deploy(first, "churn-endpoint")
    canary = local.deploy(second, "churn-endpoint", traffic=10)
    assert canary.status == "healthy" and split(local) == {"churn:1": 90, "churn:2": 10}
    with urllib.request.urlopen(canary.address + api.DEFAULT_HEALTH_ROUTE) as answer:
        health = json.loads(answer.read())
    assert [(m["model_sha256"], m["traffic"]) for m in health["models"]] == [(sha1, 90), (sha2, 10)]

    for _ in range(100):
        assert len(local.predict("churn-endpoint", [CHURN_ROW])["predictions"]) == 1
    local.promote("churn-endpoint")  # stops the split's server, which writes its request log
    assert logged_shas(tmp_path) == {sha1: 90, sha2: 10}
    assert split(local) == {"churn:2": 100}

    for _ in range(5):
        local.predict("churn-endpoint", [CHURN_ROW])
    local.rollback("churn-endpoint")  # back to the split the promotion replaced
    assert logged_shas(tmp_path) == {sha1: 90, sha2: 15}
    assert split(local) == {"churn:1": 90, "churn:2": 10} and local.get("churn-endpoint").status == "healthy"


def test_canary_refusals_name_the_endpoint_and_versions(local: LocalEndpoints, versions: list[ModelVersion]) -> None:
    first, second = versions
    with pytest.raises(EndpointError, match="serves nothing yet: the first version takes all traffic"):
        local.deploy(second, "churn-endpoint", traffic=10)
    local.deploy(first, "churn-endpoint")
    with pytest.raises(EndpointError, match="churn:1 already serves local endpoint 'churn-endpoint'"):
        local.deploy(first, "churn-endpoint", traffic=10)
    with pytest.raises(EndpointError, match="traffic 0: give a whole percentage from 1 to 100"):
        local.deploy(second, "churn-endpoint", traffic=0)
    local.deploy(second, "churn-endpoint", traffic=20)
    with pytest.raises(EndpointError, match=r"already has a canary \(churn:2 at 20%\): promote it or roll it back"):
        local.deploy(second, "churn-endpoint", traffic=5)


def test_a_canary_setting_without_its_other_half_is_refused() -> None:
    base = {api.STORAGE_URI_ENV: "/model"}
    with pytest.raises(SettingsError, match=f"{api.CANARY_URI_ENV} is set but {api.CANARY_TRAFFIC_ENV} is not"):
        read_settings({**base, api.CANARY_URI_ENV: "/canary"})
    with pytest.raises(SettingsError, match=f"{api.CANARY_TRAFFIC_ENV}='100' is out of range"):
        read_settings({**base, api.CANARY_URI_ENV: "/canary", api.CANARY_TRAFFIC_ENV: "100"})
    assert read_settings({**base, api.CANARY_URI_ENV: "/c", api.CANARY_TRAFFIC_ENV: "10"}).canary_traffic == 10
