"""Vertex AI endpoints through the real SDK against the local fake of the REST API: what goes on the
wire (parsed into the SDK's own aiplatform_v1 protos), and what the endpoint serves afterwards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1  # pants: no-infer-dep
from google.protobuf import json_format  # pants: no-infer-dep

from mlops.config import ServingConfig
from mlops.endpoints import EndpointError, VertexEndpoints
from mlops.registry import ModelVersion, VertexModelRegistry, open_registry
from mlops.testing.fake_vertex import FakeVertex

# (`no-infer-dep` imports ship with google-cloud-aiplatform, inferred from mlops.endpoints.vertex.)
PARENT = "projects/test-project/locations/us-central1"
SERVING = ServingConfig.model_validate(
    {
        "machine_type": "n1-standard-4",
        "min_replicas": 2,
        "max_replicas": 5,
        "service_account": "model-serving@test-project.iam.gserviceaccount.com",
        "request_logging": {"enabled": True, "sampling_rate": 0.25, "bigquery_table": "bq://test-project.logs.churn"},
    }
)


def parses_as(body: dict[str, Any], message: str) -> Any:
    """The body as the SDK's own proto: fails on any field the real API would not know."""
    return json_format.ParseDict(body, getattr(aiplatform_v1.types, message).pb()())


@pytest.fixture()
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        server.init_sdk(project="other-project", location="europe-west4")  # the endpoints name their own
        yield server


@pytest.fixture()
def versions(fake: FakeVertex) -> list[ModelVersion]:
    registry = open_registry("vertex://test-project/us-central1", serving_image="europe-docker.pkg.dev/p/serve:1")
    assert isinstance(registry, VertexModelRegistry)
    return [registry.register("churn", f"gs://bucket/run-{n}/model", metrics={"auc": 0.8}) for n in (1, 2, 3)]


@pytest.fixture()
def endpoints(tmp_path: Path) -> VertexEndpoints:
    return VertexEndpoints("test-project", "us-central1", str(tmp_path / "history"), SERVING)


def creates(fake: FakeVertex) -> list[Any]:
    return [request for request in fake.requests_to("POST") if request.path.endswith("/endpoints")]


def split_by_version(fake: FakeVertex) -> dict[str, int]:
    (endpoint,) = fake.endpoints.endpoints.values()
    versions = {m["id"]: m["modelVersionId"] for m in endpoint["deployedModels"]}
    return {versions[key]: share for key, share in endpoint["trafficSplit"].items()}


def test_first_deploy_creates_the_endpoint_with_logging_and_dedicated_machines(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    info = endpoints.deploy(versions[0], "churn-endpoint")
    (create,) = creates(fake)
    assert create.path == f"/v1/{PARENT}/endpoints"
    parses_as(create.body, "Endpoint")
    assert create.body["displayName"] == "churn-endpoint" and create.body["labels"] == {"managed_by": "vertex-mlops"}
    assert create.body["predictRequestResponseLoggingConfig"] == {
        "enabled": True,
        "samplingRate": 0.25,
        "bigqueryDestination": {"outputUri": "bq://test-project.logs.churn"},
    }
    (deploy,) = fake.requests_to("POST", ":deployModel")
    request = parses_as(deploy.body, "DeployModelRequest")
    assert request.deployed_model.model == versions[0].resource_name
    assert request.deployed_model.display_name == "churn-v1"
    resources = request.deployed_model.dedicated_resources
    assert (resources.machine_spec.machine_type, resources.min_replica_count, resources.max_replica_count) == (
        "n1-standard-4",
        2,
        5,
    )
    assert dict(request.traffic_split) == {"0": 100}
    assert request.deployed_model.service_account == "model-serving@test-project.iam.gserviceaccount.com"
    assert info.address == create.path.removeprefix("/v1/") + "/" + info.address.rsplit("/", 1)[-1]
    assert [(m.model_name, m.version, m.traffic, m.machine_type) for m in info.models] == [
        ("churn", "1", 100, "n1-standard-4")
    ]


def test_canary_reuses_the_endpoint_and_splits_traffic(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    endpoints.deploy(versions[1], "churn-endpoint", traffic=40)
    endpoints.deploy(versions[2], "churn-endpoint", traffic=10)
    assert len(creates(fake)) == 1  # created once, then found by display name
    assert fake.requests_to("GET", "/endpoints")[0].query["filter"] == ['display_name="churn-endpoint"']
    last = parses_as(fake.requests_to("POST", ":deployModel")[-1].body, "DeployModelRequest")
    assert sorted(last.traffic_split.values()) == [10, 36, 54] and last.traffic_split["0"] == 10
    assert split_by_version(fake) == {"1": 54, "2": 36, "3": 10}
    with pytest.raises(EndpointError, match="churn:2 is already deployed on endpoint 'churn-endpoint'"):
        endpoints.deploy(versions[1], "churn-endpoint", traffic=5)


def test_promote_gives_the_newest_all_traffic_then_undeploys_the_others(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    endpoints.deploy(versions[1], "churn-endpoint", traffic=10)
    info = endpoints.promote("churn-endpoint")
    (patch,) = fake.requests_to("PATCH")
    assert patch.query["updateMask"] == ["trafficSplit"]
    endpoint = parses_as(patch.body, "Endpoint")
    new_id = next(m.id for m in info.models)
    assert sorted(endpoint.traffic_split.values()) == [0, 100] and endpoint.traffic_split[new_id] == 100
    (undeploy,) = fake.requests_to("POST", ":undeployModel")
    request = parses_as(undeploy.body, "UndeployModelRequest")
    assert request.deployed_model_id != new_id and dict(request.traffic_split) == {new_id: 100}
    assert fake.requests.index(patch) < fake.requests.index(undeploy)
    assert split_by_version(fake) == {"2": 100}
    assert [(m.version, m.traffic) for m in info.models] == [("2", 100)]


def test_rollback_of_a_canary_restores_the_split_and_undeploys_it(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion], tmp_path: Path
) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    endpoints.deploy(versions[1], "churn-endpoint", traffic=40)
    endpoints.deploy(versions[2], "churn-endpoint", traffic=10)
    endpoints.rollback("churn-endpoint")
    assert split_by_version(fake) == {"1": 60, "2": 40}
    endpoints.rollback("churn-endpoint")  # walks further back
    assert split_by_version(fake) == {"1": 100}
    with pytest.raises(EndpointError, match="no earlier traffic split is recorded"):
        endpoints.rollback("churn-endpoint")
    record = json.loads((tmp_path / "history" / "churn-endpoint.json").read_text())
    assert [state["action"] for state in record["states"]] == ["rollback to: deploy churn:1 (100%)"]


def test_rollback_after_promote_redeploys_the_old_version_with_its_machines(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    endpoints.deploy(versions[1], "churn-endpoint", traffic=10)
    endpoints.promote("churn-endpoint")
    endpoints.rollback("churn-endpoint")
    assert split_by_version(fake) == {"1": 90, "2": 10}
    redeploy = parses_as(fake.requests_to("POST", ":deployModel")[-1].body, "DeployModelRequest")
    assert redeploy.deployed_model.model == versions[0].resource_name
    assert redeploy.deployed_model.dedicated_resources.machine_spec.machine_type == "n1-standard-4"
    assert redeploy.traffic_split["0"] == 0  # traffic moves in one PATCH once it is up


def test_undeploy_empties_the_endpoint_and_rollback_redeploys_the_split(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    endpoints.deploy(versions[1], "churn-endpoint", traffic=30)
    assert endpoints.undeploy("churn-endpoint").models == []
    assert split_by_version(fake) == {}
    endpoints.rollback("churn-endpoint")
    assert split_by_version(fake) == {"1": 70, "2": 30}


def test_rollback_refuses_an_endpoint_changed_outside_mlops(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    endpoints.deploy(versions[1], "churn-endpoint", traffic=10)
    (endpoint,) = fake.endpoints.endpoints.values()
    endpoint["trafficSplit"] = {key: 50 for key in endpoint["trafficSplit"]}  # someone used the console
    with pytest.raises(EndpointError, match="was changed outside mlops: it serves"):
        endpoints.rollback("churn-endpoint")


def test_predict_and_list(fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]) -> None:
    endpoints.deploy(versions[0], "churn-endpoint")
    answer = endpoints.predict("churn-endpoint", [{"tenure": 3, "charges": 1.5}, [1, 2]])
    assert answer["predictions"] == [4.5, 3.0] and answer["model_version_id"] == "1"
    (sent,) = fake.requests_to("POST", ":predict")
    assert parses_as(sent.body, "PredictRequest").instances[1].list_value.values[0].number_value == 1
    (listed,) = endpoints.list_endpoints()
    assert (listed.name, listed.target, [m.version for m in listed.models]) == ("churn-endpoint", "vertex", ["1"])


def test_an_existing_endpoints_logging_is_aligned_with_the_config(
    fake: FakeVertex, versions: list[ModelVersion], tmp_path: Path
) -> None:
    from google.cloud import aiplatform

    aiplatform.Endpoint.create(display_name="churn-endpoint", project="test-project", location="us-central1")
    VertexEndpoints("test-project", "us-central1", str(tmp_path), SERVING).deploy(versions[0], "churn-endpoint")
    (patch,) = fake.requests_to("PATCH")
    assert patch.query["updateMask"] == ["predictRequestResponseLoggingConfig"]
    logging = parses_as(patch.body, "Endpoint").predict_request_response_logging_config
    assert (logging.enabled, logging.sampling_rate) == (True, 0.25)
    assert logging.bigquery_destination.output_uri == "bq://test-project.logs.churn"
    no_logging = SERVING.request_logging.model_copy(update={"enabled": False})
    quiet = SERVING.model_copy(update={"request_logging": no_logging})
    VertexEndpoints("test-project", "us-central1", str(tmp_path), quiet).deploy(versions[1], "churn-endpoint", 10)
    off = parses_as(fake.requests_to("PATCH")[-1].body, "Endpoint").predict_request_response_logging_config
    assert not off.enabled and not off.bigquery_destination.output_uri
    (endpoint,) = fake.endpoints.endpoints.values()
    assert not endpoint.get("predictRequestResponseLoggingConfig", {}).get("enabled")


def test_refusals_name_the_endpoint_or_version(
    fake: FakeVertex, endpoints: VertexEndpoints, versions: list[ModelVersion]
) -> None:
    with pytest.raises(EndpointError, match="Vertex AI endpoint 'nope' not found in project 'test-project'"):
        endpoints.promote("nope")
    with pytest.raises(EndpointError, match="the first one takes all traffic"):
        endpoints.deploy(versions[0], "churn-endpoint", traffic=10)
    assert fake.endpoints.endpoints == {}  # refused before anything was created
    local = ModelVersion("churn", "1", ["default"], {}, {}, "/tmp/bundle", "2026-01-01T00:00:00Z")
    with pytest.raises(EndpointError, match="churn:1 is in a local registry"):
        endpoints.deploy(local, "churn-endpoint")
    with pytest.raises(EndpointError, match="endpoint name 'bad name' is not valid"):
        endpoints.deploy(versions[0], "bad name")
    assert fake.requests_to("POST", ":deployModel") == []
