"""The Vertex AI registry, through the real SDK against the local fake of the REST API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlops.registry import RegistryError, VertexModelRegistry, open_registry
from mlops.testing.fake_vertex import FakeVertex

PARENT = "projects/test-project/locations/us-central1"
EVALUATION = {"problem_type": "classification", "metrics": {"auc": 0.87, "f1": 0.6}, "rows": 120}


@pytest.fixture()
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        server.init_sdk(project="other-project", location="europe-west4")  # the registry names its own
        yield server


@pytest.fixture()
def registry(fake: FakeVertex) -> VertexModelRegistry:
    opened = open_registry("vertex://test-project/us-central1", serving_image="europe-docker.pkg.dev/p/serve:1")
    assert isinstance(opened, VertexModelRegistry)
    return opened


def register(registry: VertexModelRegistry, n: int, **kwargs: object) -> object:
    options = {"metrics": {"auc": round(0.8 + n / 100, 2), "log_loss": 0.4}, "evaluation": EVALUATION, **kwargs}
    return registry.register("churn", f"gs://bucket/run-{n}/model", **options)  # type: ignore[arg-type]


def test_first_version_upload_evaluation_and_alias_requests(fake: FakeVertex, registry: VertexModelRegistry) -> None:
    version = registry.register(
        "churn", "gs://bucket/run-1/model/", metrics={"auc": 0.87, "f1": 0.6}, labels={"problem": "classification"},
        description="first", evaluation=EVALUATION,
    )  # fmt: skip
    (search,) = fake.requests_to("GET", "/models")[:1]
    assert search.path == f"/v1/{PARENT}/models" and search.query["filter"] == ['display_name="churn"']
    (upload,) = fake.requests_to("POST", "models:upload")
    assert upload.path == f"/v1/{PARENT}/models:upload" and "parentModel" not in upload.body
    assert upload.body["model"] == {
        "displayName": "churn",
        "description": "first",
        "artifactUri": "gs://bucket/run-1/model",
        # The routes our server answers: without them Vertex AI would call its own default routes.
        "containerSpec": {
            "imageUri": "europe-docker.pkg.dev/p/serve:1",
            "ports": [{"containerPort": 8080}],
            "healthRoute": "/health",
            "predictRoute": "/predict",
        },
        "labels": {"problem": "classification"},
        "versionAliases": ["default"],
    }
    (imported,) = fake.requests_to("POST", "evaluations:import")
    model_name = version.resource_name.split("@")[0]  # type: ignore[union-attr]
    assert imported.path == f"/v1/{model_name}@1/evaluations:import"
    evaluation = imported.body["modelEvaluation"]
    assert evaluation["metricsSchemaUri"].endswith("/classification_metrics_1.0.0.yaml")
    assert evaluation["metrics"] == {"auRoc": 0.87}
    assert evaluation["metadata"]["metrics"] == {"auc": 0.87, "f1": 0.6}
    assert evaluation["metadata"]["evaluation"]["rows"] == 120
    (merge,) = fake.requests_to("POST", ":mergeVersionAliases")
    assert merge.path == f"/v1/{model_name}@1:mergeVersionAliases" and merge.body == {"versionAliases": ["default"]}
    assert (version.model_name, version.version, version.aliases) == ("churn", "1", ["default"])
    assert version.metrics == {"auc": 0.87, "f1": 0.6} and version.labels == {"problem": "classification"}
    assert version.bundle_uri == "gs://bucket/run-1/model" and version.resource_name == f"{model_name}@1"
    assert version.evaluation == {**EVALUATION, "rows": 120.0} and version.description == "first"


def test_second_version_has_the_parent_model_and_takes_default(fake: FakeVertex, registry: VertexModelRegistry) -> None:
    first = register(registry, 1)
    second = register(registry, 2, aliases=["challenger"])
    model_name = first.resource_name.split("@")[0]  # type: ignore[attr-defined]
    uploads = fake.requests_to("POST", "models:upload")
    assert uploads[1].body["parentModel"] == model_name
    assert "versionAliases" not in uploads[1].body["model"]  # nothing moves before the evaluation is in
    assert fake.requests_to("POST", ":mergeVersionAliases")[1].body == {"versionAliases": ["challenger", "default"]}
    assert (second.version, second.aliases) == ("2", ["challenger", "default"])  # type: ignore[attr-defined]
    assert registry.get("churn").version == "2"  # type: ignore[union-attr]
    assert registry.get_version("churn", "1").aliases == []
    assert [(v.version, v.metrics["auc"]) for v in registry.list_versions("churn")] == [("1", 0.81), ("2", 0.82)]


def test_a_losing_version_is_registered_without_moving_default(registry: VertexModelRegistry) -> None:
    register(registry, 1)
    register(registry, 2, make_default=False)
    assert registry.get("churn").version == "1"  # type: ignore[union-attr]
    assert registry.set_alias("churn", "2", "default").aliases == ["default"]
    assert registry.get("churn").version == "2"  # type: ignore[union-attr]
    assert registry.get("churn", "staging") is None and registry.get("unknown") is None
    assert registry.list_versions("unknown") == []
    with pytest.raises(RegistryError, match="has no version '5'"):
        registry.get_version("churn", "5")


def test_a_failed_evaluation_import_discards_the_new_version(fake: FakeVertex, registry: VertexModelRegistry) -> None:
    register(registry, 1)
    fake.fail("POST", "evaluations:import")
    with pytest.raises(RegistryError, match="registering 'churn' failed, version discarded.*injected failure"):
        register(registry, 2)
    (deleted,) = fake.requests_to("DELETE")
    assert deleted.path.endswith("@2:deleteVersion")
    assert [v.version for v in registry.list_versions("churn")] == ["1"]
    assert registry.get("churn").version == "1"  # type: ignore[union-attr]


def test_a_failed_first_registration_deletes_the_model(fake: FakeVertex, registry: VertexModelRegistry) -> None:
    fake.fail("POST", ":mergeVersionAliases", code=503, status="UNAVAILABLE")
    with pytest.raises(RegistryError, match="version discarded"):
        register(registry, 1)
    assert fake.state.models == {} and registry.get("churn") is None


def test_refusals_before_any_call(fake: FakeVertex, registry: VertexModelRegistry) -> None:
    with pytest.raises(RegistryError, match="registers bundles stored in GCS"):
        registry.register("churn", "/tmp/model", metrics={})
    with pytest.raises(RegistryError, match="label key 'Bad' is not valid"):
        registry.register("churn", "gs://b/m", metrics={}, labels={"Bad": "x"})
    with pytest.raises(RegistryError, match="a serving image is needed"):
        VertexModelRegistry("test-project", "us-central1").register("churn", "gs://b/m", metrics={})
    assert fake.requests_to("POST") == []
    version = registry.register("churn", "/gcs/bucket/run/model", metrics={})  # Vertex AI's GCS mount
    assert version.bundle_uri == "gs://bucket/run/model"
    fake.fail("POST", "models:upload", code=403, status="PERMISSION_DENIED")
    with pytest.raises(RegistryError, match="uploading 'churn' from gs://b/m failed"):
        registry.register("churn", "gs://b/m", metrics={})


def test_two_models_with_one_name_are_ambiguous(fake: FakeVertex, registry: VertexModelRegistry) -> None:
    from google.cloud import aiplatform

    for _ in range(2):
        aiplatform.Model.upload(display_name="churn", artifact_uri="gs://b/m", serving_container_image_uri="i",
                                project="test-project", location="us-central1")  # fmt: skip
    with pytest.raises(RegistryError, match="2 models are named 'churn'"):
        registry.get("churn")
