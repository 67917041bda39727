"""The fake Vertex AI REST API, driven through the real SDK over HTTP (api_transport="rest")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from google.api_core import exceptions  # pants: no-infer-dep
from google.auth.credentials import AnonymousCredentials  # pants: no-infer-dep
from google.cloud import aiplatform
from google.cloud.aiplatform_v1beta1 import ModelServiceClient as V1Beta1ModelServiceClient  # pants: no-infer-dep
from google.protobuf import json_format, struct_pb2  # pants: no-infer-dep

from mlops.testing.fake_vertex import GCS_BUCKET_CHECK, FakeVertex

# (`no-infer-dep` imports: google.api_core, google.auth, google.protobuf and aiplatform_v1beta1 ship
# with google-cloud-aiplatform, which Pants infers from `google.cloud.aiplatform`.)

PARENT = "projects/test-project/locations/us-central1"


@pytest.fixture()
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        server.init_sdk()
        yield server


def upload(name: str = "churn", **kwargs: object) -> aiplatform.Model:
    return aiplatform.Model.upload(
        display_name=name, artifact_uri="gs://bucket/model", serving_container_image_uri="img:1", **kwargs
    )


def test_upload_then_get_returns_what_was_sent(fake: FakeVertex) -> None:
    model = upload(labels={"team": "risk"}, description="churn model")
    assert model.resource_name.startswith(f"{PARENT}/models/")
    assert (model.version_id, model.version_aliases, model.labels) == ("1", ["default"], {"team": "risk"})
    again = aiplatform.Model(model.resource_name)
    assert (again.display_name, again.uri, again.description) == ("churn", "gs://bucket/model", "churn model")
    (sent,) = fake.requests_to("POST", "models:upload")
    assert sent.path == f"/v1/{PARENT}/models:upload"
    assert sent.body["model"]["containerSpec"] == {"imageUri": "img:1"}
    assert sent.query["$alt"] == ["json;enum-encoding=int"]


def test_versions_and_aliases_move_like_vertex(fake: FakeVertex) -> None:
    first = upload()
    second = upload(parent_model=first.resource_name, is_default_version=False, version_aliases=["challenger"])
    assert (second.resource_name, second.version_id, second.version_aliases) == (
        first.resource_name,
        "2",
        ["challenger"],
    )
    assert aiplatform.Model(f"{first.resource_name}@default").version_id == "1"
    third = upload(parent_model=first.resource_name, version_aliases=["challenger"])
    assert third.version_aliases == ["challenger", "default"]
    versions = {v.version_id: v.version_aliases for v in first.versioning_registry.list_versions()}
    assert versions == {"1": [], "2": [], "3": ["challenger", "default"]}
    first.versioning_registry.add_version_aliases(["default", "stable"], version="1")
    assert aiplatform.Model(f"{first.resource_name}@stable").version_id == "1"
    first.versioning_registry.remove_version_aliases(["stable"], version="1")
    with pytest.raises(exceptions.NotFound, match="@stable not found"):
        aiplatform.Model(f"{first.resource_name}@stable")
    with pytest.raises(exceptions.BadRequest, match="default alias cannot be removed"):
        first.versioning_registry.remove_version_aliases(["default"], version="1")
    merge = fake.requests_to("POST", ":mergeVersionAliases")[0]
    assert merge.path.endswith("@1:mergeVersionAliases") and merge.body == {"versionAliases": ["default", "stable"]}


def test_invalid_alias_and_unknown_parent_are_rejected(fake: FakeVertex) -> None:
    with pytest.raises(exceptions.BadRequest, match="invalid version alias"):
        upload(version_aliases=["Not_Valid"])
    with pytest.raises(exceptions.NotFound, match="models/999 not found"):
        upload(parent_model=f"{PARENT}/models/999")
    assert fake.state.models == {}


def test_list_filters_by_display_name_and_labels(fake: FakeVertex) -> None:
    churn = upload("churn", labels={"env": "dev"})
    upload("energy", labels={"env": "prod"})
    upload(parent_model=churn.resource_name, is_default_version=False)
    found = aiplatform.Model.list(filter='display_name="churn"')
    assert [(m.resource_name, m.version_id) for m in found] == [(churn.resource_name, "1")]
    assert [m.display_name for m in aiplatform.Model.list(filter='labels.env="prod"')] == ["energy"]
    assert len(aiplatform.Model.list()) == 2
    assert len(aiplatform.Model.list(filter='create_time>"2000-01-01T00:00:00Z" AND labels.env="dev"')) == 1
    assert aiplatform.Model.list(filter='create_time<"2000-01-01T00:00:00Z"') == []
    with pytest.raises(exceptions.BadRequest, match="unsupported filter field 'update_time'"):
        aiplatform.Model.list(filter='update_time="x"')
    with pytest.raises(exceptions.BadRequest, match="not an RFC 3339 time: 'yesterday'"):
        aiplatform.Model.list(filter='create_time>"yesterday"')
    with pytest.raises(exceptions.BadRequest, match="compares with = only"):
        aiplatform.Model.list(filter='labels.env>"a"')


def test_model_evaluation_import_is_stored_per_version(fake: FakeVertex) -> None:
    model = upload()
    metrics = json_format.ParseDict({"auRoc": 0.91, "logLoss": 0.3}, struct_pb2.Value())
    evaluation = aiplatform.gapic.ModelEvaluation(
        display_name="eval", metrics=metrics, metrics_schema_uri="gs://s.yaml"
    )
    created = model.api_client.import_model_evaluation(
        parent=model.versioned_resource_name, model_evaluation=evaluation
    )
    assert created.name.startswith(f"{model.resource_name}/evaluations/")
    (stored,) = model.list_model_evaluations()
    assert dict(stored.metrics) == {"auRoc": 0.91, "logLoss": 0.3}
    (sent,) = fake.requests_to("POST", "evaluations:import")
    assert sent.path == f"/v1/{model.versioned_resource_name}/evaluations:import"
    assert sent.body["modelEvaluation"]["metricsSchemaUri"] == "gs://s.yaml"
    second = upload(parent_model=model.resource_name)
    assert second.list_model_evaluations() == []


def compiled_pipeline(folder: Path) -> str:
    spec = {
        "pipelineInfo": {"name": "hello"},
        "root": {"dag": {"tasks": {}}},
        "schemaVersion": "2.1.0",
        "sdkVersion": "kfp-2.17.3",
    }
    path = folder / "pipeline.json"
    path.write_text(json.dumps(spec))
    return str(path)


def test_pipeline_job_submit_wait_get_and_list(fake: FakeVertex, tmp_path: Path) -> None:
    job = aiplatform.PipelineJob(
        display_name="train", template_path=compiled_pipeline(tmp_path), job_id="train-1",
        pipeline_root="gs://bucket/root", labels={"env": "dev"},
    )  # fmt: skip
    with mock.patch(GCS_BUCKET_CHECK) as bucket_check:
        job.submit()
    bucket_check.assert_called_once()
    job.wait()
    assert job.state == aiplatform.gapic.PipelineState.PIPELINE_STATE_SUCCEEDED
    assert aiplatform.PipelineJob.get("train-1").resource_name == f"{PARENT}/pipelineJobs/train-1"
    assert [j.name for j in aiplatform.PipelineJob.list(filter='display_name="train"')] == ["train-1"]
    (created,) = fake.requests_to("POST", "pipelineJobs")
    assert created.query["pipelineJobId"] == ["train-1"]
    assert created.body["runtimeConfig"]["gcsOutputDirectory"] == "gs://bucket/root"
    assert created.body["pipelineSpec"]["pipelineInfo"] == {"name": "hello"} and created.body["labels"]["env"] == "dev"
    with mock.patch(GCS_BUCKET_CHECK), pytest.raises(exceptions.Conflict, match="already exists"):
        aiplatform.PipelineJob(
            display_name="train", template_path=compiled_pipeline(tmp_path), job_id="train-1"
        ).submit()


def test_a_failing_pipeline_job_fails_the_wait(tmp_path: Path) -> None:
    with FakeVertex(pipeline_final_state="PIPELINE_STATE_FAILED") as failing:
        failing.init_sdk(project="other", location="europe-west4")
        job = aiplatform.PipelineJob(display_name="x", template_path=compiled_pipeline(tmp_path), job_id="x-1")
        with mock.patch(GCS_BUCKET_CHECK):
            job.submit()
        with pytest.raises(RuntimeError, match="configured to fail"):
            job.wait()
        assert failing.requests[0].path == "/v1/projects/other/locations/europe-west4/pipelineJobs"


def test_v1beta1_and_unhandled_calls(fake: FakeVertex) -> None:
    model = upload()
    client = V1Beta1ModelServiceClient(
        client_options={"api_endpoint": fake.endpoint}, transport="rest", credentials=AnonymousCredentials()
    )
    assert client.get_model(name=f"{model.resource_name}@default").display_name == "churn"
    with pytest.raises(exceptions.NotFound, match="no handler for GET /v1/.*/featureGroups"):
        aiplatform.gapic.FeatureRegistryServiceClient(
            client_options={"api_endpoint": fake.endpoint}, transport="rest", credentials=AnonymousCredentials()
        ).list_feature_groups(parent=PARENT)
    assert fake.requests[-1].path == f"/v1/{PARENT}/featureGroups"
    assert fake.requests_to("GET", "/v1beta1/")[0].path == f"/v1beta1/{model.resource_name}@default"


def test_endpoint_needs_a_running_server() -> None:
    with pytest.raises(RuntimeError, match="not running"):
        _ = FakeVertex().endpoint


def test_endpoint_rules_are_vertex_ais(fake: FakeVertex) -> None:
    """What Vertex AI refuses, the fake refuses too, with the status the SDK maps to its exceptions."""
    model = upload()
    endpoint = aiplatform.Endpoint.create(display_name="churn-endpoint")
    assert [e.resource_name for e in aiplatform.Endpoint.list(filter='display_name="churn-endpoint"')] == [
        endpoint.resource_name
    ]
    unknown = aiplatform.gapic.DeployedModel(model=f"{model.resource_name}@7")
    with pytest.raises(exceptions.NotFound, match="@7 not found"):
        endpoint.api_client.deploy_model(endpoint=endpoint.resource_name, deployed_model=unknown).result()
    # The SDK checks these itself too; the API call shows the fake would refuse them.
    machines = aiplatform.gapic.DedicatedResources(
        machine_spec=aiplatform.gapic.MachineSpec(machine_type="n1-standard-2"), min_replica_count=3,
        max_replica_count=2,
    )  # fmt: skip
    for deployed_model, split, message in (
        (aiplatform.gapic.DeployedModel(model=model.resource_name), {"0": 50}, "does not add up to 100"),
        (aiplatform.gapic.DeployedModel(model=model.resource_name, dedicated_resources=machines), {}, "min 3 / max 2"),
    ):
        with pytest.raises(exceptions.BadRequest, match=message):
            endpoint.api_client.deploy_model(
                endpoint=endpoint.resource_name, deployed_model=deployed_model, traffic_split=split
            ).result()
    endpoint.deploy(model, machine_type="n1-standard-2")
    (deployed,) = endpoint.list_models()
    with pytest.raises(exceptions.BadRequest, match="unknown deployed models"):
        endpoint.update(traffic_split={"999": 100})
    with pytest.raises(exceptions.BadRequest, match="has deployed models"):
        endpoint.delete()
    assert endpoint.predict(instances=[[1, 2]]).deployed_model_id == deployed.id
    endpoint.undeploy(deployed.id)
    with pytest.raises(exceptions.BadRequest, match="has no deployed model"):
        endpoint.predict(instances=[[1]])
    endpoint.delete()
    assert fake.endpoints.endpoints == {}


def test_a_body_the_protos_reject_is_a_400(fake: FakeVertex) -> None:
    from mlops.testing.fake_vertex_endpoints import parse_as
    from mlops.testing.fake_vertex_state import ApiError

    with pytest.raises(ApiError, match="invalid DeployModelRequest"):
        parse_as({"deployedModel": {"modle": "x"}}, "DeployModelRequest")
