"""One monitoring run of a registered version, from registry to alert: what `mlops monitor` and the
monitoring pipeline's step (components/monitor) both do, written once.

- `score_version`: the version (by number, or the registry's default), its baseline and model hash,
  then `monitor_window` over the request log;
- `publish`: the HTML report and the metrics JSON, then at most one alert per model, version and
  window, through the log, a file of alerts and an optional webhook, deduplicated in `alerts_dir`
  (shared by the CLI and the pipeline when they point at the same folder, so a window alerts once).

Bad input (unknown model, no baseline, no requests in the window) raises MonitoringError or
RegistryError naming the model, the file or the window.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlops import storage
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import MonitoringConfig
from mlops.monitoring.monitor import MonitoringResult, Window, monitor_window

if TYPE_CHECKING:
    from mlops.monitoring.baseline import Baseline
    from mlops.registry.base import ModelVersion

log = logging.getLogger("mlops.monitoring")
ALERTS_FILE, DEDUP_FILE = "alerts.jsonl", "alerts-sent.json"


def parse_end(text: str | None, *, now: datetime | None = None) -> datetime:
    """The window end: ISO 8601 (without a zone: UTC, as Window.ending reads it), or now if empty."""
    if not text:
        return now or datetime.now(UTC)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise MonitoringError(f"window end {text!r} is not an ISO 8601 time, e.g. 2026-12-02T00:00:00Z") from None


def find_version(registry_uri: str, model_name: str, version: str = "") -> ModelVersion:
    """Version `version` of `model_name`, or its default version when `version` is empty."""
    from mlops.registry import open_registry  # the registry's backends import cloud SDKs lazily

    registry = open_registry(registry_uri)
    found = registry.get_version(model_name, version) if version else registry.get(model_name)
    if found is None:
        raise MonitoringError(
            f"model {model_name!r} has no default version in {registry_uri}; is it registered? (give a version)"
        )
    return found


def score_version(
    registry_uri: str,
    model_name: str,
    version: str,
    request_log: str,
    window: Window,
    config: MonitoringConfig,
    window_text: str = "",
) -> MonitoringResult:
    """Monitor one window of `request_log` for a registered version (its default if `version` is "").

    `request_log` is a folder of request log files (the local model server's), Vertex AI's
    request-response table, `bq://PROJECT.DATASET.TABLE[?deployed_model_id=ID]`, or a batch
    prediction output (.parquet) whose key columns include the model's inputs.
    """
    from mlops.model_bundle import read_bundle
    from mlops.monitoring.baseline import version_baseline

    found = find_version(registry_uri, model_name, version)
    baseline = version_baseline(found)
    sha = read_bundle(found.bundle_uri).model_sha256
    with _request_log_folder(request_log, baseline, found.version, sha, window) as folder:
        result = monitor_window(
            baseline, folder, sha, window, config, model=model_name, version=found.version, window_text=window_text
        )
    return result.model_copy(update={"request_log": request_log})


def source_kind(uri: str) -> str:
    """What serving data `uri` is: "bigquery" (Vertex AI's request-response table,
    `bq://PROJECT.DATASET.TABLE[?deployed_model_id=ID]`), "batch" (a batch prediction output, a
    .parquet file) or "folder" (a request log folder)."""
    if uri.startswith("bq://"):
        return "bigquery"
    return "batch" if uri.endswith(".parquet") else "folder"


def check_source(uri: str) -> str:
    """`uri`'s kind (`source_kind`), once checked: MonitoringError names a malformed table, or a local
    file or folder that does not exist."""
    kind = source_kind(uri)
    if kind == "bigquery":
        from mlops.monitoring.bigquery_log import split_source

        split_source(uri)
    elif storage.is_local(uri) and kind == "batch" and not Path(uri).is_file():
        raise MonitoringError(f"{uri}: no such file (a batch prediction output)")
    elif storage.is_local(uri) and kind == "folder" and not Path(uri).is_dir():
        raise MonitoringError(f"{uri}: no such folder; is a local endpoint serving with request logging?")
    return kind


@contextlib.contextmanager
def _request_log_folder(source: str, baseline: Baseline, version: str, sha: str, window: Window) -> Iterator[str]:
    """A folder of request log files for `source`: the folder itself; for Vertex AI's request-response
    table (`bq://PROJECT.DATASET.TABLE[?deployed_model_id=ID]`) the window and the one before it
    (drift's), read into a temporary folder (mlops.monitoring.bigquery_log); for a batch prediction
    output (a .parquet file) its rows of this version (mlops.monitoring.batch_output)."""
    kind = source_kind(source)
    if kind == "folder":
        yield source
        return
    inputs = {name: "number" if f.kind == "numeric" else "category" for name, f in baseline.features.items()}
    with tempfile.TemporaryDirectory(prefix="mlops-request-log-") as folder:
        if kind == "batch":
            from mlops.monitoring.batch_output import export_batch_output

            rows = export_batch_output(source, inputs, version, sha, folder)
            log.info("%s: %d rows predicted by version %s", source, rows, version)
        else:
            from mlops.monitoring.bigquery_log import export_window, split_source

            table, deployed_model_id = split_source(source)
            both = Window(window.before().start, window.end)
            exported = export_window(table, both, inputs, folder, sha, deployed_model_id=deployed_model_id)
            log.info("%s: %d instances of %d requests read for %s", table, exported.instances, exported.requests, both)
        yield folder


@dataclass(frozen=True)
class Published:
    """Where a run's outputs went, and what each alert channel did ("sent", "duplicate", "failed: ...")."""

    report: str
    metrics: str
    alert: dict[str, str]


def publish(
    result: MonitoringResult,
    report_uri: str,
    metrics_uri: str,
    alerts_dir: str,
    webhook_secret: str = "",
    *,
    warn: Callable[[str], None] = log.warning,
) -> Published:
    """Write the report and the metrics JSON, then send the alert if anything crossed.

    `alerts_dir` holds the alert file (local folders only: the file channel appends to a local file)
    and the dedup record. An unreadable webhook secret is passed to `warn`, not raised: the report
    and the other channels still count.
    """
    from mlops.alerts.notifier import ChannelError, DedupStore, FileChannel, LogChannel, Notifier, webhook_from_secret
    from mlops.monitoring.outputs import send_alert, write_metrics, write_report

    write_report(result, report_uri)
    write_metrics(result, metrics_uri)
    channels: list[Any] = [LogChannel()]
    if storage.is_local(alerts_dir):
        channels.append(FileChannel(storage.join(alerts_dir, ALERTS_FILE)))
    if webhook_secret:
        try:
            channels.append(webhook_from_secret(webhook_secret))
        except ChannelError as error:
            warn(f"notify_webhook: {error}; no webhook alert")
    notifier = Notifier(channels, DedupStore(storage.join(alerts_dir, DEDUP_FILE)))
    return Published(report_uri, metrics_uri, send_alert(result, notifier, report_uri))


def output_stem(result: MonitoringResult) -> str:
    """`<model>-v<version>-<end>-<window>`: the default file name of a run's report and metrics."""
    return f"{result.model}-v{result.version}-{result.end:%Y%m%dT%H%M%SZ}-{result.window}"
