"""Contract test: the compiled pipeline goes through the real Vertex AI SDK to a local fake of the
REST API, and the request carries our images, parameters, pipeline root, service account and caching."""

import re
from dataclasses import asdict
from pathlib import Path
from unittest import mock

import pytest

# google.auth ships with google-cloud-aiplatform, which the imports below bring in.
from google.auth.credentials import AnonymousCredentials  # pants: no-infer-dep

from mlops.config import Settings
from mlops.lineage import RegisteredVersion
from mlops.metadata import MetadataError
from mlops.pipeline_config import load_pipeline_config
from mlops.pipeline_definition import Stores
from mlops.registry import open_registry
from mlops.runs import RunRecord
from mlops.testing.fake_vertex import GCS_BUCKET_CHECK, FakeVertex
from mlops_cli import report, vertex_runner
from mlops_cli.commands import lineage as commands_lineage
from mlops_cli.commands import step_environment
from training.pipeline import DEFINITION, pipeline_parameters

CONFIG = Path(__file__).resolve().parents[2] / "config" / "pipelines" / "churn.yaml"
REGISTRY = "europe-west2-docker.pkg.dev/acme/images/vertex-mlops"
SERVING_IMAGE = f"{REGISTRY}/serve:{'s' * 64}"


def settings_for(fake: FakeVertex, pipeline_root: str = "gs://acme-pipelines/root") -> Settings:
    return Settings.model_validate(
        {
            "environment": "dev",
            "storage_root": "gs://acme-data",
            "registry_uri": "vertex://acme-mlops-dev/europe-west2",
            "gcp": {
                "project_id": "acme-mlops-dev",
                "region": "europe-west2",
                "service_account": "pipelines@acme-mlops-dev.iam.gserviceaccount.com",
                "pipeline_root": pipeline_root,
                "api_endpoint": fake.endpoint,
            },
            "images": {"registry": "europe-west2-docker.pkg.dev/acme-mlops-dev/images"},
        }
    )


@pytest.fixture()
def submitted(tmp_path: Path):
    config = load_pipeline_config(CONFIG)
    images = {name: f"{REGISTRY}/{name}:{name[0] * 64}" for name in DEFINITION.components}
    parameters = pipeline_parameters(
        config, Stores(registry_uri="vertex://acme-mlops-dev/europe-west2", feature_store_uri="gs://acme-fs")
    )
    with FakeVertex() as fake, mock.patch(GCS_BUCKET_CHECK):
        settings = settings_for(fake)
        spec = DEFINITION.compile(config, tmp_path / "training.yaml", images, step_environment(settings))
        record = RunRecord("churn-training-20261125-120000-000001", "churn-training", "vertex", "dev")
        credentials = AnonymousCredentials()
        vertex_runner.submit(spec, parameters, settings, record, credentials=credentials, wait=True, poll_seconds=0.01)
        yield fake, settings, record, images, parameters


def test_request_carries_images_parameters_root_service_account_and_caching(submitted) -> None:
    fake, _, record, images, parameters = submitted
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    assert create.path == "/v1/projects/acme-mlops-dev/locations/europe-west2/pipelineJobs"
    assert create.query["pipelineJobId"] == [record.run_id]
    body = create.body
    assert body["serviceAccount"] == "pipelines@acme-mlops-dev.iam.gserviceaccount.com"
    assert body["runtimeConfig"]["gcsOutputDirectory"] == "gs://acme-pipelines/root"
    sent = body["runtimeConfig"]["parameterValues"]
    assert sent["source_uri"] == parameters["source_uri"] and sent["numeric_features"] == parameters["numeric_features"]
    assert sent["hyperparameters"] == parameters["hyperparameters"]
    executors = body["pipelineSpec"]["deploymentSpec"]["executors"].values()
    assert {e["container"]["image"] for e in executors} == {images[name] for name in DEFINITION.components}
    # Every step logs Cloud Logging JSON on Vertex AI (the dev settings' default), labelled by the step.
    for executor in executors:
        env = {item["name"]: item["value"] for item in executor["container"]["env"]}
        assert env["MLOPS_LOG_FORMAT"] == "json" and env["MLOPS_LOG_LEVEL"] == "INFO"
    spec = body["pipelineSpec"]
    dags = [spec["root"]["dag"], *(component.get("dag", {}) for component in spec["components"].values())]
    tasks = {task["taskInfo"]["name"]: task for dag in dags for task in dag.get("tasks", {}).values()}
    steps = {step.name: step for step in DEFINITION.steps}
    assert set(steps) <= set(tasks)
    cached = {name for name in steps if tasks[name].get("cachingOptions", {}).get("enableCache")}
    assert cached == {name for name, step in steps.items() if step.cacheable}
    assert body["labels"]["mlops_pipeline"] == "churn-training"


def test_wait_follows_the_job_to_its_end_and_records_it(submitted) -> None:
    fake, _, record, _, _ = submitted
    assert record.status == "SUCCEEDED"
    assert record.links["resource"].endswith(f"/pipelineJobs/{record.run_id}")
    assert len(fake.requests_to("GET", f"/pipelineJobs/{record.run_id}")) >= 1


def test_runs_list_and_show_answer_from_the_pipeline_job_api(submitted) -> None:
    _, settings, record, _, _ = submitted
    credentials = AnonymousCredentials()
    (listed,) = vertex_runner.list_runs(settings, credentials=credentials)
    assert listed.run_id == record.run_id and listed.status == "SUCCEEDED"
    shown = vertex_runner.get_run(settings, record.run_id, credentials=credentials)
    assert shown.parameters["model_name"] == "churn-classifier"
    assert shown.parameters["hyperparameters"] == {"n_estimators": 200, "learning_rate": 0.05, "num_leaves": 31}
    assert {step.name for step in DEFINITION.steps} <= {task.name for task in shown.tasks}
    assert re.search(r"^ingest +SUCCEEDED", report.run_details(asdict(shown)), re.M)  # `mlops runs show`


def test_lineage_of_a_registered_version_comes_from_its_pipeline_job(submitted) -> None:
    _, settings, record, _, _ = submitted
    registry = open_registry(settings.resolved_registry_uri(), serving_image=SERVING_IMAGE)
    job_root = f"gs://acme-pipelines/root/{record.run_id}"
    registry.register(
        "churn-classifier",
        f"{job_root}/train/model",
        metrics={"auc": 0.8},
        labels={"mlops_run_id": record.run_id.lower()},
    )
    found = commands_lineage(settings, "churn-classifier:1")
    assert found.run_id == record.run_id and found.inputs["source_uri"] == "sample://churn?rows=50000&seed=7"
    assert found.uri("ingest", "train_data") == f"{job_root}/ingest/train_data"
    assert found.uri("features", "test_features") == f"{job_root}/features/test_features"
    assert found.uri("train", "model") == f"{job_root}/train/model"
    assert found.uri("champion", "decision") == f"{job_root}/champion-challenger/decision"
    assert found.registered == RegisteredVersion("churn-classifier", "1")
    text = report.lineage_text(found)  # `mlops lineage`
    assert text.startswith(f"model version churn-classifier:1 (run {record.run_id}, pipeline churn-training)")
    assert re.search(rf"^  train +model +{job_root}/train/model$", text, re.M)


def test_lineage_refuses_a_version_mlops_did_not_register(submitted) -> None:
    _, settings, _, _, _ = submitted
    registry = open_registry(settings.resolved_registry_uri(), serving_image=SERVING_IMAGE)
    registry.register("churn-classifier", "gs://elsewhere/model", metrics={})
    with pytest.raises(MetadataError, match="churn-classifier:1 has no mlops_run_id label"):
        commands_lineage(settings, "churn-classifier:1")


def test_a_local_pipeline_root_is_refused_for_vertex(tmp_path: Path) -> None:
    with FakeVertex() as fake:
        settings = settings_for(fake, pipeline_root=".mlops/pipeline-root")
        record = RunRecord("r", "p", "vertex", "dev")
        with pytest.raises(vertex_runner.VertexRunError, match="gcp.pipeline_root must be a gs:// URI"):
            vertex_runner.submit(tmp_path / "x.yaml", {}, settings, record)


def test_wait_on_a_failed_job_prints_the_failed_steps_own_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_pipeline_config(CONFIG)
    images = {name: f"{REGISTRY}/{name}:{name[0] * 64}" for name in DEFINITION.components}
    spec = DEFINITION.compile(config, tmp_path / "training.yaml", images)
    stores = Stores(registry_uri="vertex://acme-mlops-dev/europe-west2", feature_store_uri="gs://acme-fs")
    parameters = pipeline_parameters(config, stores)
    train_error = "The replica workerpool0-0 exited with a non-zero status of 1. Termination reason: Error."
    # The DAG around the steps fails too, saying only that an inner task failed: not what to show.
    task_errors = {"train": train_error, "training-steps": "The DAG failed because some tasks failed."}
    failing = FakeVertex(pipeline_final_state="PIPELINE_STATE_FAILED", task_errors=task_errors)
    with failing as fake, mock.patch(GCS_BUCKET_CHECK):
        record = RunRecord("churn-training-20261125-120000-000002", "churn-training", "vertex", "dev")
        settings, credentials = settings_for(fake), AnonymousCredentials()
        vertex_runner.submit(spec, parameters, settings, record, credentials=credentials, wait=True, poll_seconds=0.01)
    err = capsys.readouterr().err
    assert record.status == "FAILED" and f"step train failed: {train_error}" in record.error
    assert f"mlops: step train failed: {train_error}\n" in err and "DAG failed" not in err
    assert f"mlops: the steps' logs: {record.links['console']}" in err
