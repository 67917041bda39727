"""The KFP v2 wrapper of the monitoring step. The logic lives in core.py; this only maps parameters
and artifacts. Do not add `from __future__ import annotations`: KFP reads the real annotation objects.
"""

from kfp import dsl
from kfp.dsl import HTML, Metrics, Output


def monitor(
    registry_uri: str,
    model_name: str,
    version: str,
    source_uri: str,
    window: str,
    window_end: str,
    monitoring_config: str,
    alerts_dir: str,
    webhook_secret: str,
    report: Output[HTML],
    metrics: Output[Metrics],
) -> str:
    """Score skew, drift and serving health of a registered version over one window of its request log.

    A crossed threshold is a finding: the step succeeds, alerts once per window and says so in its
    result. Bad input (config, model, baseline, window, source) fails the step with a message naming it.

    Args:
        registry_uri: the model registry (mlops.registry.open_registry).
        model_name: the registered model.
        version: a version number, or empty for the registry's default version.
        source_uri: the request log folder the model server writes (one Parquet file per batch).
        window: the window's length: a count and a unit (m, h, d, w), e.g. 1d.
        window_end: the window's end, ISO 8601 (no zone: UTC); empty for the time the step runs.
        monitoring_config: the pipeline config's `monitoring:` section as JSON (thresholds, bins, health).
        alerts_dir: the folder of the alert file and the dedup record (shared with `mlops monitor`).
        webhook_secret: env:NAME or secretmanager:... naming the webhook URL; empty for none.
        report: the HTML report.
        metrics: rows, requests, `skew/<feature>`, `drift/<feature>` and `health/<check>` values.

    Returns:
        JSON: model, version, window, rows, crossed features and health checks, each alert channel's result.
    """
    import json

    from mlops.logs import configure_step_logging
    from monitor.core import metric_values, run_monitor

    configure_step_logging("monitor")
    result, outcome = run_monitor(
        registry_uri,
        model_name,
        version,
        source_uri,
        window,
        window_end,
        monitoring_config,
        report_path=report.path,
        metrics_path=metrics.path,  # kfp.local never writes a Metrics file: the step writes it
        alerts_dir=alerts_dir,
        webhook_secret=webhook_secret,
    )
    for name, value in metric_values(result).items():
        metrics.log_metric(name, value)
    return json.dumps(outcome.as_dict(), sort_keys=True)


def build_component(image: str):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(monitor, base_image=image, install_kfp_package=False)
