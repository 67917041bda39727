"""`start_scheduled_run` under functions-framework's test client, against the fake Vertex AI API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1  # pants: no-infer-dep (comes with google-cloud-aiplatform)
from google.protobuf import json_format  # pants: no-infer-dep

from conftest import PARENT, PIPELINE_ROOT, SERVICE_ACCOUNT, published_spec  # pants: no-infer-dep
from mlops.testing.fake_vertex import FakeVertex

SCHEDULER = {"X-CloudScheduler-JobName": "churn-weekly", "X-CloudScheduler-ScheduleTime": "2026-12-07T03:00:00Z"}
BODY: dict[str, Any] = {"pipeline": "churn", "parameters": {"source_uri": "gs://acme-mlops-dev-data/churn/2026-12.parquet"}}


def post(scheduled: Any, body: Any = BODY, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    response = scheduled.post("/", json=body, headers=SCHEDULER if headers is None else headers)
    return response.status_code, json.loads(response.data)


def test_a_scheduled_run_submits_one_pipeline_job_as_the_pipelines_service_account(
    scheduled: Any, fake: FakeVertex
) -> None:
    code, answer = post(scheduled)
    assert code == 200 and answer["status"] == "started", answer
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    assert create.path == f"/v1/{PARENT}/pipelineJobs"
    job_id = create.query["pipelineJobId"][0]
    assert re.fullmatch(r"churn-schedule-[0-9a-f]{20}", job_id) and answer["job_id"] == job_id
    assert answer["job"] == f"{PARENT}/pipelineJobs/{job_id}"
    job = json_format.ParseDict(create.body, aiplatform_v1.types.PipelineJob.pb()())  # the API's own schema
    assert job.service_account == SERVICE_ACCOUNT
    assert job.runtime_config.gcs_output_directory == PIPELINE_ROOT
    sent = json_format.MessageToDict(job.runtime_config)["parameterValues"]
    assert sent["source_uri"] == BODY["parameters"]["source_uri"]
    # Lineage: a registered version is labelled with the run that registered it.
    assert sent["model_labels"] == {"team": "growth", "mlops_run_id": job_id}
    assert job.pipeline_spec["pipelineInfo"]["name"] == "churn-training"
    labels = {"mlops_pipeline": "churn-training", "mlops_runner": "vertex", "mlops_trigger": "schedule"}
    assert dict(job.labels) == labels


def test_a_redelivered_schedule_starts_no_second_run(scheduled: Any, fake: FakeVertex) -> None:
    first, again = post(scheduled), post(scheduled)
    assert first[0] == again[0] == 200
    assert again[1]["status"] == "already_started" and again[1]["job_id"] == first[1]["job_id"]
    assert len(fake.state.pipeline_jobs) == 1  # the second create was answered 409 ALREADY_EXISTS
    later = post(scheduled, headers={**SCHEDULER, "X-CloudScheduler-ScheduleTime": "2026-12-14T03:00:00Z"})
    assert later[1]["status"] == "started" and len(fake.state.pipeline_jobs) == 2


def test_an_idempotency_key_names_the_run(scheduled: Any, fake: FakeVertex) -> None:
    first = post(scheduled, headers={"Idempotency-Key": "backfill-2026-11"})
    again = post(scheduled, {**BODY, "parameters": {}}, headers={"Idempotency-Key": "backfill-2026-11"})
    assert first[1]["status"] == "started" and again[1]["status"] == "already_started"
    assert len(fake.state.pipeline_jobs) == 1


def test_an_unknown_pipeline_is_a_404_and_nothing_is_sent(scheduled: Any, fake: FakeVertex) -> None:
    code, answer = post(scheduled, {"pipeline": "churn-batch"})
    assert code == 404 and answer["status"] == "bad_event" and answer["field"] == "pipeline"
    assert "unknown pipeline 'churn-batch'; this function starts churn, energy" in answer["message"]
    assert fake.requests == []


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("not json", "body", "expected a JSON object"),
        ({"parameters": {}}, "pipeline", "expected the name of a pipeline config, got None"),
        ({"pipeline": "churn", "parameters": ["a"]}, "parameters", "expected a JSON object of parameter values"),
        ({"pipeline": "churn", "params": {}}, "body", "unknown key(s) ['params']"),
        ({"pipeline": "churn", "parameters": {"sorce_uri": "x"}}, "parameters", "no parameter(s) ['sorce_uri']"),
    ],
)
def test_a_malformed_request_is_a_400_naming_the_field(
    scheduled: Any, fake: FakeVertex, body: Any, field: str, message: str
) -> None:
    response = scheduled.post("/", data=body, content_type="text/plain") if isinstance(body, str) else None
    code, answer = (response.status_code, json.loads(response.data)) if response else post(scheduled, body)
    assert code == 400 and answer["status"] == "bad_event" and answer["field"] == field
    assert message in answer["message"]
    assert fake.requests_to("POST") == []


def test_a_body_sent_as_octet_stream_is_read_as_json(scheduled: Any, fake: FakeVertex) -> None:
    # Cloud Scheduler's default Content-Type when the job sets none.
    response = scheduled.post("/", data=json.dumps(BODY), content_type="application/octet-stream", headers=SCHEDULER)
    assert response.status_code == 200 and json.loads(response.data)["status"] == "started"


def test_a_get_is_refused(scheduled: Any) -> None:
    assert scheduled.get("/").status_code == 405


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("MLOPS_SERVICE_ACCOUNT", None, "MLOPS_SERVICE_ACCOUNT: is not set"),
        ("MLOPS_PIPELINE_ROOT", "/tmp/root", "MLOPS_PIPELINE_ROOT: String should match pattern"),
        ("MLOPS_PIPELINES", "churn,Bad Name", "MLOPS_PIPELINES: String should match pattern"),
    ],
)
def test_a_configuration_error_is_a_500_naming_the_variable(
    scheduled: Any, fake: FakeVertex, monkeypatch: pytest.MonkeyPatch, variable: str, value: str | None, message: str
) -> None:
    if value is None:
        monkeypatch.delenv(variable)
    else:
        monkeypatch.setenv(variable, value)
    code, answer = post(scheduled)
    assert code == 500 and answer["status"] == "config_error" and answer["variable"] == variable
    assert answer["message"].startswith(message)
    assert fake.requests == []


@pytest.mark.parametrize(("code", "status"), [(503, "UNAVAILABLE"), (429, "RESOURCE_EXHAUSTED"), (500, "INTERNAL")])
def test_a_transient_api_error_is_a_503_so_the_scheduler_retries(
    scheduled: Any, fake: FakeVertex, code: int, status: str
) -> None:
    fake.fail("POST", "/pipelineJobs", code=code, status=status, times=5)
    answer_code, answer = post(scheduled)
    assert answer_code == 503 and answer["status"] == "retry", answer
    assert fake.state.pipeline_jobs == {}
    fake.faults.clear()
    assert post(scheduled)[1]["status"] == "started"  # the retry goes through


def test_a_refusal_by_vertex_is_a_500_not_a_retry_loop_of_the_caller(scheduled: Any, fake: FakeVertex) -> None:
    fake.fail("POST", "/pipelineJobs", code=403, status="PERMISSION_DENIED")
    code, answer = post(scheduled)
    assert code == 500 and answer["status"] == "vertex_error" and "Vertex AI refused" in answer["message"]


def test_a_missing_spec_is_a_500_naming_it(
    scheduled: Any, fake: FakeVertex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_SPECS_URI", str(tmp_path))
    code, answer = post(scheduled)
    assert code == 500 and answer["status"] == "spec_error"
    assert answer["message"].startswith(f"{tmp_path}/churn/latest.yaml: no compiled spec there")
    assert fake.requests == []


def test_a_spec_published_without_defaults_is_a_500_naming_the_parameters(
    scheduled: Any, fake: FakeVertex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published_spec(tmp_path / "churn" / "latest.yaml", with_defaults=False)
    monkeypatch.setenv("MLOPS_SPECS_URI", str(tmp_path))
    code, answer = post(scheduled)
    assert code == 500 and answer["status"] == "spec_error"
    assert "has no default for parameter(s) [" in answer["message"] and "'categorical_features'" in answer["message"]
    assert "mlops compile --with-defaults" in answer["message"] and fake.requests == []


def test_each_answer_is_one_structured_log_line(scheduled: Any, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    post(scheduled, {"pipeline": "nope"})
    post(scheduled)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(line["severity"], line["status"]) for line in lines] == [("WARNING", "bad_event"), ("INFO", "started")]
    assert lines[1]["message"].startswith("started projects/acme-mlops-dev/") and lines[1]["pipeline"] == "churn"
