"""What a trigger is asked to do, read from a Cloud Scheduler request, a GCS CloudEvent, or a
monitoring alert's log entry delivered through Pub/Sub.

Every check here is about the caller's input: a failure is `BadEvent` (a 4xx answer), never a
5xx, so the platform does not redeliver an event that can never succeed.

Job ids make the functions idempotent. Vertex AI refuses a second PipelineJob with an id it has
(409 ALREADY_EXISTS), so the id is derived from what identifies the delivery, not from the clock:
`{pipeline}-{trigger}-{first 20 hex digits of sha256(pipeline, trigger, key)}`, lowercase
[a-z0-9-], at most 93 characters (Vertex AI allows 128). The key is
- new data: the CloudEvent's `source` and `id` (Eventarc redelivers an event with both unchanged);
- drift: the alert's own `key` (model, version and window end: mlops.monitoring.outputs.alert_for),
  not the Pub/Sub message id, so a redelivery and a second alert of the same window are one run;
- HTTP: the `X-CloudScheduler-JobName` and `X-CloudScheduler-ScheduleTime` headers (a Scheduler
  retry of one execution repeats them); else an `Idempotency-Key` header; else the body and the
  current UTC minute, so only a repeat within the same minute is taken for a retry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GCS_FINALIZED = "google.cloud.storage.object.v1.finalized"
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"
MAX_KEY_LENGTH = 500


class BadEvent(Exception):
    """The request or event cannot start a run; `field` names what is wrong. `status` is the answer."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.status = field, status


@dataclass(frozen=True)
class Ignored:
    """A well-formed event that starts nothing (answered 200, so it is not redelivered); `reason`
    is the answer's message, `details` its extra fields."""

    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    warn: bool = False  # a gap in the configuration rather than an event meant to be skipped


@dataclass(frozen=True)
class RunRequest:
    """One run to start: the pipeline config name, parameter overrides and the idempotent job id."""

    pipeline: str
    trigger: str  # "schedule", "data" or "drift": part of the job id and a label of the job
    key: str  # what identifies the delivery (see the module docstring)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def job_id(self) -> str:
        digest = hashlib.sha256(f"{self.pipeline}\n{self.trigger}\n{self.key}".encode()).hexdigest()[:20]
        return f"{self.pipeline}-{self.trigger}-{digest}"


def scheduled_run(body: Any, headers: Mapping[str, str], allowed: list[str], now: datetime | None = None) -> RunRequest:
    """The run a Cloud Scheduler POST asks for: {"pipeline": NAME, "parameters": {...optional}}.
    `headers` has lowercase names."""
    if not isinstance(body, dict):
        raise BadEvent("body", 'expected a JSON object like {"pipeline": "churn", "parameters": {}}')
    if unknown := sorted(set(body) - {"pipeline", "parameters"}):
        raise BadEvent("body", f"unknown key(s) {unknown}; expected pipeline and optional parameters")
    pipeline = body.get("pipeline")
    if not isinstance(pipeline, str) or not pipeline:
        raise BadEvent("pipeline", f"expected the name of a pipeline config, got {pipeline!r}")
    if pipeline not in allowed:
        raise BadEvent("pipeline", f"unknown pipeline {pipeline!r}; this function starts {', '.join(allowed)}", 404)
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise BadEvent("parameters", f"expected a JSON object of parameter values, got {type(parameters).__name__}")
    return RunRequest(pipeline, "schedule", _http_key(body, headers, now or datetime.now(UTC)), parameters)


def _http_key(body: dict[str, Any], headers: Mapping[str, str], now: datetime) -> str:
    schedule_time = headers.get("x-cloudscheduler-scheduletime", "").strip()
    if schedule_time:
        return f"scheduler:{headers.get('x-cloudscheduler-jobname', '').strip()}@{schedule_time}"
    given = headers.get("idempotency-key")
    if given is not None:
        if not given.strip() or len(given) > MAX_KEY_LENGTH:
            raise BadEvent("Idempotency-Key", f"expected 1 to {MAX_KEY_LENGTH} characters, got {len(given.strip())}")
        return f"key:{given.strip()}"
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return f"body:{canonical}@{now.strftime('%Y-%m-%dT%H:%M')}"


def new_data_run(event: Any, pipeline: str, prefix: str, parameter: str) -> RunRequest | Ignored:
    """The run a GCS "object finalized" CloudEvent asks for, or Ignored when the object is not
    under `prefix` (or is a folder placeholder)."""
    event_type = _attribute(event, "type")
    if event_type != GCS_FINALIZED:
        raise BadEvent("type", f"expected a {GCS_FINALIZED} event, got {event_type!r}")
    data = _json_object(event.data, "data", "the JSON of a GCS object (bucket, name, ...)")
    for key in ("bucket", "name"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadEvent(f"data.{key}", f"expected the object's {key}, got {data.get(key)!r}")
    uri = f"gs://{data['bucket']}/{data['name']}"
    if not uri.startswith(prefix) or uri.endswith("/"):
        return Ignored(f"the object is not under {prefix}")
    key = f"{_attribute(event, 'source')}/{_attribute(event, 'id')}"
    return RunRequest(pipeline, "data", key, {parameter: uri})


def drift_run(event: Any, pipelines: Mapping[str, str]) -> RunRequest | Ignored:
    """The retraining a monitoring alert asks for: a Pub/Sub "message published" CloudEvent whose
    message is a Cloud Logging LogEntry (what a log sink publishes) with the alert in
    `jsonPayload.alert`. `pipelines` maps a model name to the pipeline config that trains it.

    Only crossed features retrain: an alert whose `crossed_features` is empty or absent (serving
    health alone, or an alert of another kind) is Ignored, since a new model would not fix it."""
    event_type = _attribute(event, "type")
    if event_type != PUBSUB_PUBLISHED:
        raise BadEvent("type", f"expected a {PUBSUB_PUBLISHED} event, got {event_type!r}")
    data = _json_object(event.data, "data", "a Pub/Sub push body with a message")
    message = data.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("data"), str) or not message["data"]:
        raise BadEvent("message.data", "expected the base64 of a Cloud Logging LogEntry")
    try:
        entry_text = base64.b64decode(message["data"], validate=True)
    except (binascii.Error, ValueError):
        raise BadEvent("message.data", "not valid base64") from None
    entry = _json_object(entry_text, "message.data", "the JSON of a Cloud Logging LogEntry")
    payload = entry.get("jsonPayload")
    alert = payload.get("alert") if isinstance(payload, dict) else None
    if not isinstance(alert, dict):
        raise BadEvent("jsonPayload.alert", "expected the LogEntry of a monitoring alert (mlops.alerts LogChannel)")
    fields = alert.get("fields", {})
    if not isinstance(fields, dict):
        raise BadEvent("jsonPayload.alert.fields", f"expected an object, got {type(fields).__name__}")
    crossed = fields.get("crossed_features", "")
    if not isinstance(crossed, str):
        raise BadEvent("jsonPayload.alert.fields.crossed_features", f"expected a string, got {crossed!r}")
    if not crossed.strip():
        health = fields.get("crossed_health") or "nothing"
        return Ignored(f"no feature crossed (crossed: {health}): retraining would not fix it")
    key, model = alert.get("key"), fields.get("model")
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise BadEvent("jsonPayload.alert.key", f"expected 1 to {MAX_KEY_LENGTH} characters, got {key!r}")
    if not isinstance(model, str) or not model:
        raise BadEvent("jsonPayload.alert.fields.model", f"expected the model's name, got {model!r}")
    details = {"model": model, "crossed_features": crossed}
    if model not in pipelines:
        known = ", ".join(sorted(pipelines))
        reason = f"model {model!r} has no retraining pipeline in MLOPS_RETRAIN_PIPELINES (it maps {known})"
        return Ignored(reason, details, warn=True)
    return RunRequest(pipelines[model], "drift", f"alert:{key}")


def _json_object(data: Any, name: str, expected: str) -> dict[str, Any]:
    """`data` (bytes, text or already parsed) as a JSON object; BadEvent naming `name` otherwise."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except ValueError:
            raise BadEvent(name, f"expected {expected}") from None
    if not isinstance(data, dict):
        raise BadEvent(name, f"expected {expected}, got {type(data).__name__}")
    return data


def _attribute(event: Any, name: str) -> str:
    """A CloudEvent attribute (functions-framework has already refused events without `id`,
    `source` or `type`)."""
    try:
        return str(event[name])
    except KeyError:
        raise BadEvent(name, "missing CloudEvent attribute") from None
