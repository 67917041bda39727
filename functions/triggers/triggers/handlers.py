"""The three triggers' flows, from a request or event to an `Answer`; triggers.main wires them up.

Each reads its configuration first, per request, from the environment it is given; then the
event; then the published spec; then submits. Every failure becomes the answer its cause calls
for (triggers.answers): nothing escapes as an unhandled exception, which would be a 500 the
platform retries whatever the cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from triggers import config as trigger_config
from triggers import events, submit
from triggers.answers import Answer, log


def scheduled_run(body: Any, headers: Mapping[str, str], environ: Mapping[str, str]) -> Answer:
    """`start_scheduled_run`: the pipeline a Cloud Scheduler POST names."""

    def request(config: trigger_config.ScheduledRunConfig) -> events.RunRequest:
        return events.scheduled_run(body, headers, config.MLOPS_PIPELINES)

    return log(_run(trigger_config.ScheduledRunConfig, environ, request, data_parameter=None), "start_scheduled_run")


def new_data_run(event: Any, environ: Mapping[str, str]) -> Answer:
    """`start_run_on_new_data`: MLOPS_PIPELINE on the object a GCS finalized event announces."""

    def request(config: trigger_config.NewDataRunConfig) -> events.RunRequest | events.Ignored:
        return events.new_data_run(event, config.MLOPS_PIPELINE, config.MLOPS_DATA_PREFIX, config.MLOPS_DATA_PARAMETER)

    return log(_run(trigger_config.NewDataRunConfig, environ, request, "MLOPS_DATA_PARAMETER"), "start_run_on_new_data")


def drift_run(event: Any, environ: Mapping[str, str]) -> Answer:
    """`start_run_on_drift`: retrain the model a monitoring alert (a LogEntry through Pub/Sub) names,
    when a feature crossed its threshold, with the pipeline MLOPS_RETRAIN_PIPELINES maps it to."""

    def request(config: trigger_config.DriftRunConfig) -> events.RunRequest | events.Ignored:
        return events.drift_run(event, config.MLOPS_RETRAIN_PIPELINES)

    def pause(config: trigger_config.DriftRunConfig) -> float:
        return config.MLOPS_RETRAIN_COOLDOWN_HOURS

    answer = _run(trigger_config.DriftRunConfig, environ, request, data_parameter=None, cooldown_hours=pause)
    return log(answer, "start_run_on_drift")


def _run(
    model: type[trigger_config.ConfigT],
    environ: Mapping[str, str],
    make_request: Callable[[Any], events.RunRequest | events.Ignored],
    data_parameter: str | None,
    cooldown_hours: Callable[[Any], float] = lambda config: 0.0,
) -> Answer:
    """`cooldown_hours(config)`: if more than 0, no run starts while another of the same pipeline
    and trigger started within that many hours (a redelivery of the same event still answers as one)."""
    try:
        config = trigger_config.load(model, environ)
    except trigger_config.ConfigError as error:
        return Answer(500, "config_error", str(error), {"variable": error.variable})
    try:
        request = make_request(config)
    except events.BadEvent as error:
        return Answer(error.status, "bad_event", str(error), {"field": error.field})
    if isinstance(request, events.Ignored):
        return Answer(200, "ignored", request.reason, request.details, logging.WARNING if request.warn else None)
    details = {"pipeline": request.pipeline, "job_id": request.job_id}
    spec_uri = config.spec_uri(request.pipeline)
    try:
        spec = submit.read_spec(spec_uri, config)
        parameters = submit.run_parameters(spec, request, spec_uri)
        if hours := cooldown_hours(config):
            since = datetime.now(UTC) - timedelta(hours=hours)
            recent = submit.recent_runs(spec["pipelineInfo"]["name"], request.trigger, since, config)
            if others := [name for name in recent if not name.endswith(f"/pipelineJobs/{request.job_id}")]:
                message = f"{others[0]} started less than {hours:g} h ago; not starting another before then"
                return Answer(200, "cooling_down", message, {**details, "recent_job": others[0]})
        submitted = submit.submit(spec, parameters, request, config)
    except submit.UnknownParameters as error:
        if data_parameter:  # the function's own parameter: its configuration is wrong
            return Answer(500, "config_error", f"{data_parameter}: {error}", {**details, "variable": data_parameter})
        return Answer(400, "bad_event", str(error), {**details, "field": "parameters"})
    except submit.SpecError as error:
        return Answer(500, "spec_error", str(error), {**details, "spec": spec_uri})
    except submit.Refused as error:
        return Answer(500, "vertex_error", str(error), details)
    except submit.Transient as error:
        return Answer(503, "retry", f"{error}; retry later", details)
    details["job"] = submitted.job_name
    if submitted.already_started:
        return Answer(200, "already_started", f"{request.job_id} was started before (a redelivery)", details)
    return Answer(200, "started", f"started {submitted.job_name}", details)
