"""`start_run_on_new_data` under functions-framework's test client: Eventarc's GCS CloudEvents,
the fake Vertex AI API, and (in one test) the spec read from a GCS emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1  # pants: no-infer-dep (comes with google-cloud-aiplatform)
from google.protobuf import json_format  # pants: no-infer-dep

from conftest import SERVICE_ACCOUNT  # pants: no-infer-dep
from mlops.testing.fake_vertex import FakeVertex
from mlops.testing.gcs_emulator import gcs_emulator

OBJECT = {"bucket": "acme-mlops-dev-data", "name": "incoming/churn-2026-12.parquet", "generation": "1764748800000"}


def deliver(
    new_data: Any, data: Any = OBJECT, event_id: str = "9876543210", event_type: str = "", **headers: str
) -> tuple[int, dict[str, Any]]:
    """POST a CloudEvent in binary mode, as Eventarc delivers it."""
    ce = {
        "ce-id": event_id,
        "ce-specversion": "1.0",
        "ce-source": "//storage.googleapis.com/projects/_/buckets/acme-mlops-dev-data",
        "ce-type": event_type or "google.cloud.storage.object.v1.finalized",
        "ce-subject": "objects/incoming/churn-2026-12.parquet",
        **headers,
    }
    body = data if isinstance(data, str) else json.dumps(data)
    response = new_data.post("/", data=body, headers=ce, content_type="application/json")
    return response.status_code, json.loads(response.data)


def test_a_new_object_under_the_prefix_starts_the_pipeline_on_it(new_data: Any, fake: FakeVertex) -> None:
    code, answer = deliver(new_data)
    assert code == 200 and answer["status"] == "started", answer
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    job = json_format.ParseDict(create.body, aiplatform_v1.types.PipelineJob.pb()())
    assert job.service_account == SERVICE_ACCOUNT
    parameters = json_format.MessageToDict(job.runtime_config)["parameterValues"]
    assert parameters["source_uri"] == "gs://acme-mlops-dev-data/incoming/churn-2026-12.parquet"
    assert job.labels["mlops_trigger"] == "data" and create.query["pipelineJobId"] == [answer["job_id"]]
    assert answer["job_id"].startswith("churn-data-")


def test_a_redelivered_event_starts_no_second_run(new_data: Any, fake: FakeVertex) -> None:
    first, again = deliver(new_data), deliver(new_data)
    assert (first[1]["status"], again[1]["status"]) == ("started", "already_started")
    assert again[0] == 200 and len(fake.state.pipeline_jobs) == 1
    assert deliver(new_data, event_id="9876543211")[1]["status"] == "started"  # another upload: another run


@pytest.mark.parametrize("name", ["archive/churn.parquet", "incoming/", "incomingx/churn.parquet"])
def test_an_object_outside_the_prefix_is_ignored_without_a_request(new_data: Any, fake: FakeVertex, name: str) -> None:
    code, answer = deliver(new_data, {**OBJECT, "name": name})
    assert code == 200 and answer["status"] == "ignored"  # 2xx: Eventarc must not redeliver it
    assert fake.requests == []


@pytest.mark.parametrize(
    ("data", "event_type", "field", "message"),
    [
        ({"name": "incoming/a.csv"}, "", "data.bucket", "expected the object's bucket, got None"),
        ({**OBJECT, "name": ""}, "", "data.name", "expected the object's name, got ''"),
        ("[1, 2]", "", "data", "got list"),
        ("not json", "", "data", "expected the JSON of a GCS object"),
        (OBJECT, "google.cloud.storage.object.v1.deleted", "type", "got 'google.cloud.storage.object.v1.deleted'"),
    ],
)
def test_a_malformed_event_is_a_400_naming_the_field(
    new_data: Any, fake: FakeVertex, data: Any, event_type: str, field: str, message: str
) -> None:
    code, answer = deliver(new_data, data, event_type=event_type)
    assert code == 400 and answer["status"] == "bad_event" and answer["field"] == field, answer
    assert message in answer["message"] and fake.requests == []


def test_a_request_that_is_no_cloud_event_is_a_400(new_data: Any) -> None:
    response = new_data.post("/", json=OBJECT)  # no ce- headers: functions-framework refuses it
    assert response.status_code == 400


def test_a_data_parameter_the_spec_lacks_is_a_500_naming_the_variable(
    new_data: Any, fake: FakeVertex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_DATA_PARAMETER", "input_table")
    code, answer = deliver(new_data)
    assert code == 500 and answer["status"] == "config_error" and answer["variable"] == "MLOPS_DATA_PARAMETER"
    assert "declares no parameter(s) ['input_table']" in answer["message"] and fake.requests == []


def test_a_missing_prefix_is_a_500_naming_it(new_data: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLOPS_DATA_PREFIX")
    code, answer = deliver(new_data)
    assert code == 500 and answer == {**answer, "variable": "MLOPS_DATA_PREFIX", "status": "config_error"}


def test_an_unavailable_api_is_a_503_so_eventarc_retries(new_data: Any, fake: FakeVertex) -> None:
    fake.fail("POST", "/pipelineJobs", code=503, status="UNAVAILABLE", times=5)
    code, answer = deliver(new_data)
    assert code == 503 and answer["status"] == "retry" and fake.state.pipeline_jobs == {}


def test_the_spec_is_read_from_gcs(
    new_data: Any, fake: FakeVertex, specs_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with gcs_emulator(bucket="acme-mlops-dev-specs") as storage:
        monkeypatch.setenv("MLOPS_SPECS_URI", "gs://acme-mlops-dev-specs/pipelines/")
        assert deliver(new_data)[1]["status"] == "spec_error"  # nothing published yet
        blob = storage.bucket("acme-mlops-dev-specs").blob("pipelines/churn/latest.yaml")
        blob.upload_from_string((specs_dir / "churn" / "latest.yaml").read_bytes())
        code, answer = deliver(new_data)
    assert code == 200 and answer["status"] == "started", answer
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    assert create.body["pipelineSpec"]["pipelineInfo"]["name"] == "churn-training"
