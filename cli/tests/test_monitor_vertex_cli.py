"""`mlops monitor-vertex`: the real SDK against the fake Vertex AI REST API, from the shipped churn
config and an environment's `serving.model_monitoring`, through `main` as a user runs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mlops.registry import open_registry
from mlops.testing.fake_vertex import FakeVertex
from mlops_cli.main import main

PROJECT, REGION = "acme-mlops-dev", "europe-west2"
TRAINING_TABLE = f"bq://{PROJECT}.features.churn_train"
CHANNEL = f"projects/{PROJECT}/notificationChannels/42"
WATCH = {"output_uri": "gs://acme-mlops-dev-monitoring/models", "cron": "TZ=Europe/London 0 4 * * *",
         "emails": ["oncall@acme.example"], "notification_channels": [CHANNEL]}  # fmt: skip


def environment(folder: Path, endpoint: str, **watch: object) -> str:
    settings = {
        "environment": "dev",
        "storage_root": str(folder / "data"),
        "registry_uri": f"vertex://{PROJECT}/{REGION}",
        "gcp": {"project_id": PROJECT, "region": REGION, "pipeline_root": str(folder / "root"),
                "api_endpoint": endpoint},
        "serving": {"model_monitoring": {**WATCH, **watch}},
    }
    path = folder / "dev.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def training_config(folder: Path, source: str) -> str:
    config = yaml.safe_load(Path("config/pipelines/churn.yaml").read_text())
    config["data"]["source"] = source
    config["monitoring"] = {"default_threshold": 0.25, "thresholds": {"region": 0}, "windows": ["1d"]}
    path = folder / "churn.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


@pytest.fixture()
def fake(tmp_path: Path) -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        server.init_sdk(project=PROJECT, location=REGION)
        registry = open_registry(f"vertex://{PROJECT}/{REGION}", serving_image="europe-docker.pkg.dev/p/serve:1")
        registry.register("churn-classifier", "gs://bucket/run-1/model", metrics={"auc": 0.8})
        yield server


def test_monitors_the_deployed_version_from_the_configs(
    fake: FakeVertex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = environment(tmp_path, fake.endpoint)
    assert main(["--env", env, "deploy", "churn-classifier:1", "--target", "vertex"]) == 0
    config = training_config(tmp_path, TRAINING_TABLE)
    capsys.readouterr()

    assert main(["--env", env, "monitor-vertex", "churn-classifier:1", "--config", config]) == 0

    (create,) = fake.requests_to("POST", "/modelMonitors")
    drift = create.body["tabularObjective"]["featureDriftSpec"]
    # The raw inputs the server logs: the ratio feature is watched through the columns it reads.
    assert drift["features"] == ["tenure_months", "monthly_charges", "support_calls", "contract_type",
                                 "payment_method", "region"]  # fmt: skip
    assert drift["featureAlertConditions"]["region"] == {"threshold": 0.0}
    assert drift["featureAlertConditions"]["tenure_months"] == {"threshold": 0.25}
    assert create.body["outputSpec"]["gcsBaseDirectory"]["outputUriPrefix"] == f"{WATCH['output_uri']}/churn-classifier"
    training = create.body["trainingDataset"]["columnizedDataset"]["bigquerySource"]["tableUri"]
    assert training == TRAINING_TABLE
    schedules = fake.requests_to("POST", "/schedules")
    assert {s.body["cron"] for s in schedules} == {WATCH["cron"]}
    endpoints = {tuple(s.body["createModelMonitoringJobRequest"]["modelMonitoringJob"]["modelMonitoringSpec"]
                 ["objectiveSpec"]["targetDataset"]["vertexEndpointLogs"]["endpoints"]) for s in schedules}  # fmt: skip
    (watched,) = endpoints
    assert watched[0].startswith(f"projects/{PROJECT}/locations/{REGION}/endpoints/")
    out = capsys.readouterr().out
    assert out.startswith("created ") and "churn-classifier:1" in out and watched[0] in out

    # Again: the same monitor is updated, no second one.
    assert main(["--env", env, "monitor-vertex", "churn-classifier", "--config", config]) == 0
    assert len(fake.requests_to("POST", "/modelMonitors")) == 1
    assert capsys.readouterr().out.startswith("updated ")


def test_a_bigquery_table_instead_of_an_endpoint(fake: FakeVertex, tmp_path: Path) -> None:
    env = environment(tmp_path, fake.endpoint)
    config = training_config(tmp_path, "data/churn.csv")
    table = f"bq://{PROJECT}.serving_logs.churn_flat"
    argv = ["--env", env, "monitor-vertex", "churn-classifier:1", "--config", config, "--table", table]
    assert main([*argv, "--training-table", TRAINING_TABLE]) == 0
    schedule = fake.requests_to("POST", "/schedules")[0].body
    target = schedule["createModelMonitoringJobRequest"]["modelMonitoringJob"]["modelMonitoringSpec"]
    assert target["objectiveSpec"]["targetDataset"]["columnizedDataset"]["bigquerySource"]["tableUri"] == table


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("local-source", "data.source 'data/churn.csv' is not a BigQuery table"),
        ("no-output", "serving.model_monitoring.output_uri is not set"),
        ("not-deployed", "Vertex AI endpoint 'churn-classifier-endpoint' not found"),
        ("unknown-model", "model 'nope' has no default version"),
        ("bad-cron", "cron 'every day' is not five cron fields"),
    ],
)
def test_bad_input_is_one_line_and_nothing_is_created(
    fake: FakeVertex, tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, expected: str
) -> None:
    watch = {"no-output": {"output_uri": ""}, "bad-cron": {"cron": "every day"}}.get(case, {})
    env = environment(tmp_path, fake.endpoint, **watch)
    if case == "bad-cron":
        main(["--env", env, "deploy", "churn-classifier:1", "--target", "vertex"])
    source = "data/churn.csv" if case == "local-source" else TRAINING_TABLE
    model = "nope" if case == "unknown-model" else "churn-classifier:1"
    capsys.readouterr()
    assert main(["--env", env, "monitor-vertex", model, "--config", training_config(tmp_path, source)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and err.count("\n") == 1, err
    assert fake.requests_to("POST", "/modelMonitors") == []
