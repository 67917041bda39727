"""`start_run_on_drift` under functions-framework's test client: a monitoring alert's log entry as a
Cloud Logging sink publishes it to Pub/Sub and Eventarc delivers it, against the fake Vertex AI API."""

from __future__ import annotations

import base64
import copy
import json
import logging
from typing import Any

import pytest
from google.cloud import aiplatform_v1  # pants: no-infer-dep (comes with google-cloud-aiplatform)
from google.protobuf import json_format  # pants: no-infer-dep

from conftest import PARENT, SERVICE_ACCOUNT  # pants: no-infer-dep
from mlops.alerts.notifier import Alert, LogChannel
from mlops.logs import CloudLoggingFormatter
from mlops.testing.fake_vertex import FakeVertex

KEY = "monitoring:churn-classifier:3:2026-12-02T00:00:00+00:00"

# A LogEntry as the sink writes it: what mlops.alerts' LogChannel logged from a monitoring step
# (mlops.logs lifts the record's fields into jsonPayload), with the entry's own metadata around it.
ENTRY: dict[str, Any] = {
    "insertId": "1x2y3z4",
    "logName": "projects/acme-mlops-dev/logs/workerpool0-0",
    "resource": {"type": "ml_job", "labels": {"job_id": "4711", "project_id": "acme-mlops-dev", "task_name": "main"}},
    "severity": "WARNING",
    "timestamp": "2026-12-02T00:05:12.345678Z",
    "receiveTimestamp": "2026-12-02T00:05:13.001Z",
    "jsonPayload": {
        "message": "churn-classifier version 3: monitoring thresholds crossed (1d window)",
        "logger": "mlops.alerts",
        "time": "2026-12-02T00:05:12.345678+00:00",
        "alert": {
            "key": KEY,
            "severity": "warning",
            "title": "churn-classifier version 3: monitoring thresholds crossed (1d window)",
            "text": "crossed: tenure_months, error_rate",
            "fields": {
                "model": "churn-classifier",
                "version": "3",
                "window": "1d",
                "window_end": "2026-12-02T00:00:00+00:00",
                "rows": 60,
                "requests": 22,
                "error_rate": 0.090909,
                "crossed_features": "tenure_months",
                "crossed_health": "error_rate",
                "report": "gs://acme-mlops-dev-monitoring/reports/churn-classifier-v3.html",
            },
        },
    },
}


def with_fields(**fields: Any) -> dict[str, Any]:
    entry = copy.deepcopy(ENTRY)
    entry["jsonPayload"]["alert"]["fields"].update(fields)
    return entry


def push_body(entry: Any, message_id: str) -> dict[str, Any]:
    """Pub/Sub's push body: the LogEntry's JSON, base64, in message.data."""
    data = entry if isinstance(entry, str) else base64.b64encode(json.dumps(entry).encode()).decode()
    message = {"data": data, "messageId": message_id, "publishTime": "2026-12-02T00:05:14.5Z", "attributes": {}}
    return {"message": message, "subscription": "projects/acme-mlops-dev/subscriptions/eventarc-europe-west2-drift"}


def deliver(
    drift: Any, entry: Any = ENTRY, message_id: str = "1122334455", event_type: str = "", body: Any = None
) -> tuple[int, dict[str, Any]]:
    """POST the CloudEvent in binary mode, as Eventarc delivers a Pub/Sub message."""
    ce = {
        "ce-id": message_id,
        "ce-specversion": "1.0",
        "ce-source": "//pubsub.googleapis.com/projects/acme-mlops-dev/topics/monitoring-drift",
        "ce-type": event_type or "google.cloud.pubsub.topic.v1.messagePublished",
    }
    data = json.dumps(push_body(entry, message_id) if body is None else body)
    response = drift.post("/", data=data, headers=ce, content_type="application/json")
    return response.status_code, json.loads(response.data)


def test_a_drift_alert_starts_the_models_training_pipeline(drift: Any, fake: FakeVertex) -> None:
    code, answer = deliver(drift)
    assert code == 200 and answer["status"] == "started", answer
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    assert create.path == f"/v1/{PARENT}/pipelineJobs"
    job = json_format.ParseDict(create.body, aiplatform_v1.types.PipelineJob.pb()())
    assert job.pipeline_spec["pipelineInfo"]["name"] == "churn-training"  # churn/latest.yaml
    assert job.service_account == SERVICE_ACCOUNT
    labels = {"mlops_pipeline": "churn-training", "mlops_runner": "vertex", "mlops_trigger": "drift"}
    assert dict(job.labels) == labels
    job_id = create.query["pipelineJobId"][0]
    assert job_id.startswith("churn-drift-") and answer["job_id"] == job_id and answer["pipeline"] == "churn"
    parameters = json_format.MessageToDict(job.runtime_config)["parameterValues"]
    assert parameters["model_labels"] == {"team": "growth", "mlops_run_id": job_id}  # lineage, as the others


def test_a_redelivered_or_repeated_alert_starts_no_second_run(drift: Any, fake: FakeVertex) -> None:
    first = deliver(drift)
    redelivered = deliver(drift)  # Pub/Sub at-least-once: the same message again
    # The same window's alert raised again (a re-run of the monitoring pipeline): another message id.
    repeated = deliver(drift, with_fields(rows=61), message_id="9988776655")
    statuses = [answer["status"] for _, answer in (first, redelivered, repeated)]
    assert statuses == ["started", "already_started", "already_started"]
    assert redelivered[1]["job_id"] == repeated[1]["job_id"] == first[1]["job_id"]
    assert len(fake.state.pipeline_jobs) == 1


def next_window(days: int = 1) -> dict[str, Any]:
    """The alert of a later monitoring window (drift that persists): another key."""
    entry = copy.deepcopy(ENTRY)
    entry["jsonPayload"]["alert"]["key"] = KEY.replace("2026-12-02", f"2026-12-{2 + days:02d}")
    return entry


def test_persistent_drift_starts_one_run_per_cooldown(drift: Any, fake: FakeVertex) -> None:
    code, first = deliver(drift)
    assert first["status"] == "started"
    # The next day's window crosses again: within MLOPS_RETRAIN_COOLDOWN_HOURS (default 72) of the first run.
    code, answer = deliver(drift, next_window(), message_id="5544332211")
    assert code == 200 and answer["status"] == "cooling_down", answer  # 2xx: Pub/Sub must not redeliver it
    assert answer["recent_job"] == first["job"] and answer["job_id"] != first["job_id"]
    assert "started less than 72 h ago" in answer["message"] and len(fake.state.pipeline_jobs) == 1
    assert deliver(drift)[1]["status"] == "already_started"  # a redelivery of the first still says so
    (listed, *_) = fake.requests_to("GET", "/pipelineJobs")
    query = listed.query["filter"][0]
    assert 'labels.mlops_pipeline="churn-training" AND labels.mlops_trigger="drift" AND create_time>"' in query

    # Once the first run is older than the pause, the drift that persists starts the next one.
    fake.state.pipeline_jobs[first["job"]]["createTime"] = "2026-11-28T00:00:00Z"
    assert deliver(drift, next_window(4), message_id="6655443322")[1]["status"] == "started"
    assert len(fake.state.pipeline_jobs) == 2


def test_a_cooldown_of_0_starts_a_run_for_every_windows_alert(
    drift: Any, fake: FakeVertex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_RETRAIN_COOLDOWN_HOURS", "0")
    statuses = [deliver(drift, next_window(days), message_id=f"m{days}")[1]["status"] for days in (0, 1, 2)]
    assert statuses == ["started"] * 3 and len(fake.state.pipeline_jobs) == 3
    assert fake.requests_to("GET", "/pipelineJobs") == []  # nothing to look up


def test_a_failed_lookup_of_recent_runs_asks_for_a_redelivery(drift: Any, fake: FakeVertex) -> None:
    fake.fail("GET", "/pipelineJobs", code=503, status="UNAVAILABLE", times=5)
    code, answer = deliver(drift)
    assert code == 503 and answer["status"] == "retry" and fake.requests_to("POST", "/pipelineJobs") == []


def test_a_bad_cooldown_is_the_operators_error(drift: Any, fake: FakeVertex, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_RETRAIN_COOLDOWN_HOURS", "-1")
    code, answer = deliver(drift)
    assert code == 500 and answer["status"] == "config_error" and answer["variable"] == "MLOPS_RETRAIN_COOLDOWN_HOURS"
    assert fake.requests == []


class Lines(logging.Handler):
    """Keeps each formatted record: the JSON lines a container would print."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def logged_entry(alert: Alert) -> dict[str, Any]:
    """The LogEntry Cloud Logging makes of the line mlops.alerts' LogChannel writes for `alert`: the
    special keys become the entry's own fields, the rest its jsonPayload."""
    handler = Lines()
    handler.setFormatter(CloudLoggingFormatter())
    logger = logging.getLogger("mlops.alerts")
    logger.addHandler(handler)
    try:
        LogChannel().send(alert)
    finally:
        logger.removeHandler(handler)
    (payload,) = (json.loads(line) for line in handler.lines)
    severity = payload.pop("severity")
    payload.pop("logging.googleapis.com/sourceLocation")
    return {**ENTRY, "severity": severity, "jsonPayload": payload}


def test_the_line_the_log_channel_writes_is_what_the_function_reads(drift: Any, fake: FakeVertex) -> None:
    alert = Alert.model_validate(ENTRY["jsonPayload"]["alert"])
    entry = logged_entry(alert)
    assert entry["severity"] == "WARNING" and entry["jsonPayload"]["alert"] == ENTRY["jsonPayload"]["alert"]
    code, answer = deliver(drift, entry)
    assert code == 200 and answer["status"] == "started", answer


@pytest.mark.parametrize("crossed", ["", "  "])
def test_a_health_only_alert_is_ignored_without_a_request(drift: Any, fake: FakeVertex, crossed: str) -> None:
    code, answer = deliver(drift, with_fields(crossed_features=crossed, crossed_health="latency_p99_ms"))
    assert code == 200 and answer["status"] == "ignored"  # 2xx: Pub/Sub must not redeliver it
    assert "no feature crossed (crossed: latency_p99_ms)" in answer["message"]
    assert fake.requests == []


def test_an_alert_of_another_kind_is_ignored(drift: Any, fake: FakeVertex) -> None:
    # A run-end notification through the same LogChannel: no crossed_features field at all.
    entry = copy.deepcopy(ENTRY)
    entry["jsonPayload"]["alert"] = {"key": "run:churn-training-123", "severity": "error", "title": "run failed"}
    code, answer = deliver(drift, entry)
    assert code == 200 and answer["status"] == "ignored" and fake.requests == []


def test_a_model_no_pipeline_retrains_is_ignored_and_logged_as_a_warning(
    drift: Any, fake: FakeVertex, capsys: pytest.CaptureFixture[str]
) -> None:
    code, answer = deliver(drift, with_fields(model="fraud-detector"))
    assert code == 200 and answer["status"] == "ignored" and answer["model"] == "fraud-detector"
    assert "'fraud-detector' has no retraining pipeline in MLOPS_RETRAIN_PIPELINES" in answer["message"]
    assert "churn-classifier, energy-regressor" in answer["message"] and fake.requests == []
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if "fraud-detector" in line]
    assert line["severity"] == logging.getLevelName(logging.WARNING) and line["function"] == "start_run_on_drift"
    assert line["status"] == "ignored"


def base64_of(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("body", "entry", "event_type", "field", "message"),
    [
        (None, ENTRY, "google.cloud.storage.object.v1.finalized", "type", "expected a google.cloud.pubsub"),
        ([1], ENTRY, "", "data", "got list"),
        ({"subscription": "s"}, ENTRY, "", "message.data", "base64 of a Cloud Logging LogEntry"),
        (None, "not base64!", "", "message.data", "not valid base64"),
        (None, base64_of("not json"), "", "message.data", "expected the JSON of a Cloud Logging LogEntry"),
        (None, {"textPayload": "hello"}, "", "jsonPayload.alert", "LogEntry of a monitoring alert"),
        (None, with_fields(model=None), "", "jsonPayload.alert.fields.model", "expected the model's name, got None"),
        (None, with_fields(crossed_features=["a"]), "", "jsonPayload.alert.fields.crossed_features", "a string"),
        (None, {"jsonPayload": {"alert": {"fields": {"crossed_features": "x", "model": "churn-classifier"}}}}, "",
         "jsonPayload.alert.key", "expected 1 to 500 characters, got None"),
    ],
    ids=["type", "data", "no-message", "base64", "json", "no-alert", "model", "crossed-type", "no-key"],
)  # fmt: skip
def test_a_malformed_event_is_a_400_naming_the_field(
    drift: Any, fake: FakeVertex, body: Any, entry: Any, event_type: str, field: str, message: str
) -> None:
    code, answer = deliver(drift, entry, event_type=event_type, body=body)
    assert code == 400 and answer["status"] == "bad_event" and answer["field"] == field, answer
    assert message in answer["message"] and fake.requests == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "MLOPS_RETRAIN_PIPELINES: is not set"),
        ("churn-classifier=churn", "MLOPS_RETRAIN_PIPELINES: Value error, expected a JSON object like"),
        ('{"churn-classifier": "Churn Training"}', "MLOPS_RETRAIN_PIPELINES: String should match pattern"),
        ("{}", "MLOPS_RETRAIN_PIPELINES: Dictionary should have at least 1 item"),
    ],
)
def test_a_bad_mapping_is_a_500_naming_the_variable(
    drift: Any, fake: FakeVertex, monkeypatch: pytest.MonkeyPatch, value: str | None, message: str
) -> None:
    if value is None:
        monkeypatch.delenv("MLOPS_RETRAIN_PIPELINES")
    else:
        monkeypatch.setenv("MLOPS_RETRAIN_PIPELINES", value)
    code, answer = deliver(drift)
    assert code == 500 and answer["status"] == "config_error" and answer["variable"] == "MLOPS_RETRAIN_PIPELINES"
    assert answer["message"].startswith(message) and fake.requests == []


def test_a_mapped_pipeline_without_a_published_spec_is_a_500(drift: Any, fake: FakeVertex) -> None:
    code, answer = deliver(drift, with_fields(model="energy-regressor"))  # energy/latest.yaml was never published
    assert code == 500 and answer["status"] == "spec_error" and answer["pipeline"] == "energy"
    assert fake.requests_to("POST") == []


def test_an_unavailable_api_is_a_503_so_eventarc_retries(drift: Any, fake: FakeVertex) -> None:
    fake.fail("POST", "/pipelineJobs", code=503, status="UNAVAILABLE", times=5)
    code, answer = deliver(drift)
    assert code == 503 and answer["status"] == "retry" and fake.state.pipeline_jobs == {}
