"""The monitoring step's logic: check the inputs, score the window (mlops.monitoring.run, shared with
`mlops monitor`), write the report and metrics, raise the alert, and summarize what crossed.

A crossed threshold is a finding, not an error: the step succeeds and says so in its result. Bad
input (a config that does not validate, an unknown model, a version without a baseline, a window
that does not parse or holds no requests, a source that is not a request log) raises MonitorError
or the library's MonitoringError/RegistryError, each naming the value.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import MonitoringConfig, parse_window
from mlops.monitoring.monitor import MonitoringResult, Window
from mlops.monitoring.outputs import metrics
from mlops.monitoring.run import check_source as check_monitoring_source
from mlops.monitoring.run import parse_end, publish, score_version, source_kind
from mlops.problems import problems
from mlops.retries import retry_transient

log = logging.getLogger("monitor")


class MonitorError(Exception):
    """The step's inputs are wrong; the message names the input and the value."""


@dataclass(frozen=True)
class MonitorOutcome:
    """The step's result: which version and window, and what crossed (empty lists: nothing)."""

    model: str
    version: str
    window: str
    start: str
    end: str
    rows: int
    requests: int
    crossed_features: list[str]
    crossed_health: list[str]
    alert: dict[str, str]  # per channel: "sent", "duplicate", "failed: ..."; empty when nothing crossed

    @property
    def crossed(self) -> bool:
        return bool(self.crossed_features or self.crossed_health)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "crossed": self.crossed}


def parse_config(document: str | Mapping[str, Any]) -> MonitoringConfig:
    """The `monitoring:` section as JSON text (what the pipeline passes) or a mapping; MonitorError
    naming each bad key. JSON text, not a KFP dict: a null (an unset latency check) must survive,
    and KFP refuses None inside dict parameters."""
    try:
        data = json.loads(document) if isinstance(document, str) else dict(document)
    except ValueError as error:
        raise MonitorError(f"monitoring config: not JSON: {error}") from None
    if not isinstance(data, dict):
        raise MonitorError(f"monitoring config: expected a JSON object, got {type(data).__name__}")
    try:
        return MonitoringConfig.model_validate(data)
    except ValidationError as error:
        raise MonitorError("monitoring config: " + "; ".join(problems(error, show_input=True))) from None


def check_source(uri: str) -> str:
    """`uri` must be serving data monitoring reads (mlops.monitoring.run.check_source)."""
    try:
        check_monitoring_source(uri)
    except MonitoringError as error:  # its text names the value
        if source_kind(uri) == "bigquery":  # a malformed table is the library's own error
            raise
        raise MonitorError(f"source {error}") from None
    return uri


def window_of(length: str, end: str, *, now: datetime | None = None) -> Window:
    """[end - length, end) from the texts the pipeline passes ("1d", "" for now or ISO 8601)."""
    try:
        span = parse_window(length)
    except ValueError as error:
        raise MonitorError(f"window: {error}") from None
    try:
        return Window.ending(parse_end(end, now=now), span)
    except MonitoringError as error:  # its text names the value
        raise MonitorError(str(error)) from None


def run_monitor(
    registry_uri: str,
    model_name: str,
    version: str,
    source_uri: str,
    window: str,
    window_end: str,
    config: str | Mapping[str, Any],
    *,
    report_path: str,
    metrics_path: str,
    alerts_dir: str,
    webhook_secret: str = "",
    now: datetime | None = None,
) -> tuple[MonitoringResult, MonitorOutcome]:
    """Score one window of `source_uri` for a registered version and publish the outputs.

    Everything is checked before anything is read; the registry and the log may be remote, so their
    transient errors are retried (mlops.retries). Re-running a window sends no second alert.
    """
    settings = parse_config(config)
    span = window_of(window, window_end, now=now)
    check_source(source_uri)
    result = retry_transient(
        lambda: score_version(registry_uri, model_name, version, source_uri, span, settings, window_text=window),
        what=f"monitor {model_name}",
    )
    sent = publish(result, report_path, metrics_path, alerts_dir, webhook_secret, warn=log.error).alert
    outcome = MonitorOutcome(
        model=result.model,
        version=result.version,
        window=result.window,
        start=result.start.isoformat(),
        end=result.end.isoformat(),
        rows=result.rows,
        requests=result.health.requests,
        crossed_features=result.crossed_features,
        crossed_health=result.health.crossed,
        alert=sent,
    )
    log.info("monitored %s:%s %s: crossed %s", outcome.model, outcome.version, span, _crossed_text(outcome))
    return result, outcome


def metric_values(result: MonitoringResult) -> dict[str, float]:
    """The KFP Metrics of a run: rows, requests, each feature's skew and drift score, each health value."""
    return {name: float(value) for name, value in metrics(result).items()}


def _crossed_text(outcome: MonitorOutcome) -> str:
    return ", ".join([*outcome.crossed_features, *outcome.crossed_health]) or "nothing"
