"""What a monitoring run leaves behind: a metrics JSON, an HTML report and at most one alert.

- metrics JSON: a flat `metrics` map (name -> value, like a KFP Metrics artifact: `skew/plan`,
  `drift/plan`, `health/error_rate`, `health/latency_p99_ms`, `rows`, ...), the crossed names, and
  the whole typed result;
- HTML report: self-contained (CSS bars, no scripts or images to fetch), from a Jinja2 template:
  health table, scores against thresholds, per-feature training against window proportions;
- alert: one `Alert` per model, version and window end, so re-running the same window sends
  nothing new (the notifier's DedupStore).

Files are written atomically (mlops.storage).
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jinja2

from mlops import storage
from mlops.alerts.notifier import Alert, Notifier
from mlops.monitoring.monitor import MonitoringResult

TEMPLATE = "monitoring_report.html.j2"


def metrics(result: MonitoringResult) -> dict[str, float | int]:
    """Flat name -> value: rows, requests, each feature's skew and drift score, each health value."""
    values: dict[str, float | int] = {"rows": result.rows, "requests": result.health.requests}
    for report in (result.skew, result.drift):
        for score in report.features if report else []:
            values[f"{report.comparison}/{score.feature}"] = score.value  # type: ignore[union-attr]
    for check in result.health.checks:
        if check.value is not None:
            values[f"health/{check.name}"] = check.value
    return values


def metrics_document(result: MonitoringResult) -> dict[str, Any]:
    return {
        "metrics": metrics(result),
        "crossed": {"features": result.crossed_features, "health": result.health.crossed},
        "result": result.model_dump(mode="json"),
    }


def write_metrics(result: MonitoringResult, uri: str) -> str:
    """Write the metrics JSON to `uri` atomically; returns `uri`."""
    storage.write_text(uri, json.dumps(metrics_document(result), indent=1, allow_nan=False) + "\n")
    return uri


def render_report(result: MonitoringResult) -> str:
    """The HTML report's text."""
    text = resources.files("mlops.monitoring").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    reports = [report for report in (result.skew, result.drift) if report is not None]
    return environment.from_string(text).render(
        result=result, reports=reports, fmt=_number, pct=lambda share: f"{share * 100:.1f}%", width=_width
    )


def write_report(result: MonitoringResult, uri: str) -> str:
    """Render the HTML report and write it to `uri` atomically; returns `uri`."""
    storage.write_text(uri, render_report(result))
    return uri


def alert_for(result: MonitoringResult, report_uri: str = "") -> Alert | None:
    """The alert for a run that crossed a threshold (None if nothing crossed)."""
    if not result.crossed:
        return None
    crossed = [*result.crossed_features, *result.health.crossed]
    fields: dict[str, str | int | float | bool] = {
        "model": result.model,
        "version": result.version,
        "window": result.window,
        "window_end": result.end.isoformat(),
        "rows": result.rows,
        "requests": result.health.requests,
        "error_rate": round(result.health.error_rate, 6),
        # For machines reading the alert (the retrain-on-drift function, docs/triggers.md): a
        # crossed feature calls for retraining; a crossed health check alone (a slow or failing
        # server) does not, since a new model would not fix it. Comma-joined, "" when none.
        "crossed_features": ",".join(result.crossed_features),
        "crossed_health": ",".join(result.health.crossed),
    }
    if report_uri:
        fields["report"] = report_uri
    return Alert(
        # Model, version and window end: the same window scored again is the same incident.
        key=f"monitoring:{result.model}:{result.version}:{result.end.isoformat()}",
        severity="warning",
        title=f"{result.model} version {result.version}: monitoring thresholds crossed ({result.window} window)",
        text="crossed: " + ", ".join(crossed),
        fields=fields,
    )


def send_alert(result: MonitoringResult, notifier: Notifier, report_uri: str = "") -> dict[str, str]:
    """Send the run's alert if anything crossed; per channel "sent", "duplicate" or "failed: ..."."""
    alert = alert_for(result, report_uri)
    return notifier.notify(alert) if alert else {}


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.0f}"


def _width(share: float) -> float:
    return round(max(0.0, min(share, 1.0)) * 100, 2)
