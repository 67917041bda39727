"""What a trigger is asked to do, read from a Cloud Scheduler request or a GCS CloudEvent.

Every check here is about the caller's input: a failure is `BadEvent` (a 4xx answer), never a
5xx, so the platform does not redeliver an event that can never succeed.

Job ids make the functions idempotent. Vertex AI refuses a second PipelineJob with an id it has
(409 ALREADY_EXISTS), so the id is derived from what identifies the delivery, not from the clock:
`{pipeline}-{trigger}-{first 20 hex digits of sha256(pipeline, trigger, key)}`, lowercase
[a-z0-9-], at most 93 characters (Vertex AI allows 128). The key is
- new data: the CloudEvent's `source` and `id` (Eventarc redelivers an event with both unchanged);
- HTTP: the `X-CloudScheduler-JobName` and `X-CloudScheduler-ScheduleTime` headers (a Scheduler
  retry of one execution repeats them); else an `Idempotency-Key` header; else the body and the
  current UTC minute, so only a repeat within the same minute is taken for a retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GCS_FINALIZED = "google.cloud.storage.object.v1.finalized"
MAX_KEY_LENGTH = 500


class BadEvent(Exception):
    """The request or event cannot start a run; `field` names what is wrong. `status` is the answer."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.status = field, status


@dataclass(frozen=True)
class RunRequest:
    """One run to start: the pipeline config name, parameter overrides and the idempotent job id."""

    pipeline: str
    trigger: str  # "schedule" or "data": part of the job id and a label of the job
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


def new_data_run(event: Any, pipeline: str, prefix: str, parameter: str) -> RunRequest | None:
    """The run a GCS "object finalized" CloudEvent asks for, or None when the object is not under
    `prefix` (or is a folder placeholder): such events are answered 2xx and start nothing."""
    event_type = _attribute(event, "type")
    if event_type != GCS_FINALIZED:
        raise BadEvent("type", f"expected a {GCS_FINALIZED} event, got {event_type!r}")
    data = event.data
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except ValueError:
            raise BadEvent("data", "expected the JSON of a GCS object (bucket, name, ...)") from None
    if not isinstance(data, dict):
        raise BadEvent("data", f"expected the JSON of a GCS object (bucket, name, ...), got {type(data).__name__}")
    for key in ("bucket", "name"):
        if not isinstance(data.get(key), str) or not data[key]:
            raise BadEvent(f"data.{key}", f"expected the object's {key}, got {data.get(key)!r}")
    uri = f"gs://{data['bucket']}/{data['name']}"
    if not uri.startswith(prefix) or uri.endswith("/"):
        return None
    key = f"{_attribute(event, 'source')}/{_attribute(event, 'id')}"
    return RunRequest(pipeline, "data", key, {parameter: uri})


def _attribute(event: Any, name: str) -> str:
    """A CloudEvent attribute (functions-framework has already refused events without `id`,
    `source` or `type`)."""
    try:
        return str(event[name])
    except KeyError:
        raise BadEvent(name, "missing CloudEvent attribute") from None
