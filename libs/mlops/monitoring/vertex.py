"""Vertex AI Model Monitoring (v2, `ModelMonitor`) for a registered model version, from `monitoring:`.

One monitor per model version (display name `<model>-v<version>`), with the model's monitored
features as its schema, the training data as its baseline and two schedules: `skew` (the latest
serving window against training) and `drift` (the latest window against the window before it).
Why v2 and not v1 `ModelDeploymentMonitoringJob`: v2 targets one model *version* (v1 watches a
whole endpoint, canary included), takes a metric per feature kind (v1 cannot use Jensen-Shannon
for categoricals), a cron schedule (v1: whole hours), Cloud Monitoring notification channels,
and BigQuery input with a timestamp field and window. docs/monitoring.md says more.

The SDK's `DataDriftSpec._as_proto` tests the default thresholds with `if threshold:`, so a
default of 0 silently becomes "no threshold". `_ExactDriftSpec` sets every condition itself.
Re-running for the same version updates the monitor and its schedules in place (no duplicates).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mlops.monitoring.config import MonitoringConfig, MonitoringConfigError
from mlops.registry import ModelVersion

log = logging.getLogger(__name__)

# Our metric names -> Vertex's (`vertexai...spec.objective`).
VERTEX_METRICS = {"jensen_shannon": "jensen_shannon_divergence", "l_infinity": "l_infinity"}
_VERSION = re.compile(r"^(projects/[^/]+/locations/([^/]+)/models/[^/@]+)@([^/@]+)$")
_ENDPOINT = re.compile(r"^projects/[^/]+/locations/([^/]+)/endpoints/[^/]+$")
_TABLE = re.compile(r"^bq://[\w-]+\.\w+\.[\w$-]+$")
_CHANNEL = re.compile(r"^projects/[^/]+/notificationChannels/[^/]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CRON = re.compile(r"^((CRON_)?TZ=\S+ )?\S+( \S+){4}$")
_VERTEX_WINDOW = re.compile(r"^[1-9][0-9]*[hdw]$")  # Vertex takes hours, days and weeks only


@dataclass(frozen=True)
class VertexMonitor:
    """What `configure_vertex_monitor` left on Vertex AI."""

    monitor: str  # projects/P/locations/L/modelMonitors/ID
    schedules: dict[str, str]  # "skew" / "drift" -> schedule resource name
    created: bool  # False: an existing monitor was updated


def _fail(message: str) -> None:
    raise MonitoringConfigError(message)


def _check(
    config: MonitoringConfig, version: ModelVersion, location: str, numeric: Sequence[str],
    categorical: Sequence[str], serving: str, training_table: str, cron: str, emails: Sequence[str],
    channels: Sequence[str], output_uri: str,
) -> re.Match[str]:  # fmt: skip
    """Every input checked before any call, each error naming the value."""
    found = _VERSION.match(version.resource_name or "")
    if not found:
        _fail(f"model {version.model_name} version {version.version} is not on Vertex AI (resource name "
              f"{version.resource_name!r}): register it with registry_uri vertex://PROJECT/REGION")  # fmt: skip
    if found and found.group(2) != location:
        _fail(f"model version {version.resource_name} is in {found.group(2)}, not in location {location!r}")
    if not numeric and not categorical:
        _fail("no features to monitor: pass the model's numeric and/or categorical features")
    if both := sorted(set(numeric) & set(categorical)):
        _fail(f"feature(s) {both} are both numeric and categorical")
    config.check_features([*numeric, *categorical], where="the model's monitored features")
    endpoint = _ENDPOINT.match(serving)
    if not (endpoint or _TABLE.match(serving)):
        _fail(f"serving input {serving!r} is neither an endpoint (projects/P/locations/L/endpoints/ID) "
              "nor a BigQuery table (bq://PROJECT.DATASET.TABLE)")  # fmt: skip
    if endpoint and endpoint.group(1) != location:
        _fail(f"endpoint {serving} is in {endpoint.group(1)}, not in location {location!r}")
    if not _TABLE.match(training_table):
        _fail(f"training_table {training_table!r} is not a BigQuery table (bq://PROJECT.DATASET.TABLE)")
    if not _CRON.match(cron.strip()):
        _fail(f"cron {cron!r} is not five cron fields (optionally after TZ=Area/City), e.g. 'TZ=UTC 0 2 * * *'")
    for email in emails:
        if not _EMAIL.match(email):
            _fail(f"notification email {email!r} is not an e-mail address")
    for channel in channels:
        if not _CHANNEL.match(channel):
            _fail(f"notification channel {channel!r} is not projects/PROJECT/notificationChannels/ID")
    if not re.match(r"^gs://[^/]+", output_uri):
        _fail(f"output_uri {output_uri!r} is not a gs:// folder (Vertex writes the monitoring results there)")
    for window in config.windows:
        if not _VERTEX_WINDOW.match(window):
            _fail(f"monitoring.windows: {window!r} cannot be a Vertex AI window (hours, days or weeks: h, d, w)")
    return found  # type: ignore[return-value]


def configure_vertex_monitor(
    config: MonitoringConfig,
    version: ModelVersion,
    *,
    numeric: Sequence[str],
    categorical: Sequence[str],
    serving: str,
    training_table: str,
    cron: str,
    output_uri: str,
    project: str,
    location: str,
    timestamp_field: str = "logging_time",
    emails: Sequence[str] = (),
    notification_channels: Sequence[str] = (),
    credentials: Any = None,
) -> VertexMonitor:
    """Create (or update) the Model Monitor of `version` and its skew and drift schedules.

    `serving` is what is monitored: the endpoint the version is deployed on (Vertex reads its
    request-response log) or a BigQuery table whose columns are the features, with
    `timestamp_field` (the request log's `logging_time` by default) selecting the window.
    `training_table` (bq://) is the skew baseline. Alerts go to `emails` and the Cloud Monitoring
    `notification_channels` (terraform's alerting module), and always to Cloud Logging.
    """
    found = _check(config, version, location, numeric, categorical, serving, training_table, cron, emails,
                   notification_channels, output_uri)  # fmt: skip
    if config.sampling_rate != 1.0:
        # v2 has no sampling of its own: the endpoint's request_logging.sampling_rate is Vertex's sample.
        log.warning("monitoring.sampling_rate %s is not sent to Vertex AI (it has no such setting)",
                    config.sampling_rate)  # fmt: skip
    # Imported here: importing the SDK takes seconds (as in mlops.endpoints.vertex).
    from vertexai.resources.preview import ml_monitoring
    from vertexai.resources.preview.ml_monitoring import spec

    where = {"project": project, "location": location, "credentials": credentials}
    window = config.windows[0]

    def source(window: str, offset: str | None = None) -> Any:
        if serving.startswith("bq://"):
            return spec.MonitoringInput(
                table_uri=serving, timestamp_field=timestamp_field, offset=offset, window=window
            )
        return spec.MonitoringInput(endpoints=[serving], offset=offset, window=window)

    objective = spec.TabularObjective(feature_drift_spec=_exact_drift_spec(spec, config, numeric, categorical))
    settings: dict[str, Any] = {
        "training_dataset": spec.MonitoringInput(table_uri=training_table),
        "model_monitoring_schema": spec.ModelMonitoringSchema(
            feature_fields=[spec.FieldSchema(name, "float") for name in numeric]
            + [spec.FieldSchema(name, "categorical") for name in categorical]
        ),
        "tabular_objective_spec": objective,
        "output_spec": spec.OutputSpec(gcs_base_dir=output_uri),
        "notification_spec": spec.NotificationSpec(
            user_emails=list(emails) or None, notification_channels=list(notification_channels),
            enable_cloud_logging=True,
        ),
    }  # fmt: skip
    name = f"{version.model_name}-v{version.version}"
    existing = ml_monitoring.ModelMonitor.list(filter=f'display_name="{name}"', **where)
    if len(existing) > 1:
        _fail(f"{len(existing)} model monitors are named {name!r}: delete all but one")
    monitor: Any  # the SDK's list() is typed as its base class
    if existing:
        monitor = existing[0].update(display_name=name, **settings)  # type: ignore[attr-defined]
    else:
        monitor = ml_monitoring.ModelMonitor.create(
            model_name=found.group(1), model_version_id=found.group(3), display_name=name, **where, **settings,
        )  # fmt: skip
    jobs = {
        # The latest window against training, and against the window of the same length before it.
        "skew": (source(window=window), settings["training_dataset"]),
        "drift": (source(window=window), source(offset=window, window=window)),
    }
    schedules = {s.display_name: s.name for s in (monitor.list_schedules() if existing else [])}
    names: dict[str, str] = {}
    for kind, (target, baseline) in jobs.items():
        shared = dict(
            display_name=f"{name}-{kind}", model_monitoring_job_display_name=f"{name}-{kind}", cron=cron.strip(),
            target_dataset=target, baseline_dataset=baseline, tabular_objective_spec=objective,
            output_spec=settings["output_spec"], notification_spec=settings["notification_spec"],
        )  # fmt: skip
        if f"{name}-{kind}" in schedules:
            names[kind] = monitor.update_schedule(schedule_name=schedules[f"{name}-{kind}"], **shared).name
        else:
            names[kind] = monitor.create_schedule(**shared).name
    return VertexMonitor(monitor.resource_name, names, created=not existing)


def _exact_drift_spec(spec: Any, config: MonitoringConfig, numeric: Sequence[str], categorical: Sequence[str]) -> Any:
    """A DataDriftSpec whose proto carries every threshold, 0 included.

    Every feature gets its own condition (its threshold or the default), and the defaults are
    set explicitly, so nothing depends on the SDK's `if threshold:` tests.
    """
    from google.cloud.aiplatform.compat.types import model_monitoring_alert_v1beta1 as alert

    class _ExactDriftSpec(spec.DataDriftSpec):
        def _as_proto(self) -> Any:
            proto = super()._as_proto()
            condition = alert.ModelMonitoringAlertCondition
            proto.default_numeric_alert_condition = condition(threshold=config.default_threshold)
            proto.default_categorical_alert_condition = condition(threshold=config.default_threshold)
            for feature in self.features:
                proto.feature_alert_conditions[feature] = condition(threshold=config.threshold_for(feature))
            return proto

    return _ExactDriftSpec(
        features=[*numeric, *categorical],
        numeric_metric_type=VERTEX_METRICS[config.metrics.numeric],
        categorical_metric_type=VERTEX_METRICS[config.metrics.categorical],
        default_numeric_alert_threshold=config.default_threshold,
        default_categorical_alert_threshold=config.default_threshold,
        feature_alert_thresholds={f: config.threshold_for(f) for f in [*numeric, *categorical]},
    )
