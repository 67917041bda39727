"""Entry points of the trigger Cloud Functions (2nd gen, functions-framework, runtime python311).

- `start_scheduled_run` (HTTP): Cloud Scheduler POSTs {"pipeline": NAME, "parameters": {...}}.
- `start_run_on_new_data` (CloudEvent): a GCS object finalized under MLOPS_DATA_PREFIX, via Eventarc.
- `start_run_on_drift` (CloudEvent): a monitoring alert's log entry, published to Pub/Sub by a log
  sink and delivered by Eventarc, whose features crossed: retrain that model.

All read their configuration from the environment on every request (triggers.config) and
answer as triggers.answers describes. docs/triggers.md has the whole story.
"""

from __future__ import annotations

import os
from typing import Any

import flask  # pants: no-infer-dep (functions-framework runs on Flask)
import functions_framework

from triggers import handlers
from triggers.answers import Answer


@functions_framework.http
def start_scheduled_run(request: flask.Request) -> flask.Response:
    if request.method != "POST":
        return Answer(405, "bad_event", f"method {request.method}: Cloud Scheduler POSTs JSON").flask()
    headers = {key.lower(): value for key, value in request.headers.items()}
    # force: Cloud Scheduler sends application/octet-stream unless the job sets a Content-Type.
    return handlers.scheduled_run(request.get_json(force=True, silent=True), headers, os.environ).flask()


@functions_framework.cloud_event
def start_run_on_new_data(event: Any) -> None:
    answer = handlers.new_data_run(event, os.environ)
    # functions-framework answers a CloudEvent function's return with a bare 200 "OK"; aborting
    # with a response is how a status (400, 500, 503) and the JSON answer reach the caller.
    flask.abort(answer.flask())


@functions_framework.cloud_event
def start_run_on_drift(event: Any) -> None:
    flask.abort(handlers.drift_run(event, os.environ).flask())  # a status, as start_run_on_new_data
