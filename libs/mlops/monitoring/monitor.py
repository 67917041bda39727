"""One monitoring run of a deployed model version over a serving window (docs/monitoring.md).

Reads the window [end - length, end) of the request log (mlops.monitoring.serving_log) for the
version, and computes:
- skew: the version's baseline (its training data) against the window's answered instances;
- drift: the window against the window of the same length before it, when that one has rows;
- serving health: error rate and latency percentiles of the window's requests.

Each window is counted once on the baseline's bins (one DuckDB pass) and the counts are reused for
skew, drift and the report's distributions; nothing is loaded into pandas.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict

from mlops.monitoring.baseline import Baseline
from mlops.monitoring.buckets import MonitoringError, connect
from mlops.monitoring.config import MonitoringConfig
from mlops.monitoring.drift import DriftReport, WindowCounts, count_window, drift, skew
from mlops.monitoring.serving_log import (
    HealthReport,
    Window,
    answered,
    in_window,
    open_request_log,
    row_count,
    serving_health,
)


class Distribution(BaseModel):
    """One feature's proportions per bucket: training (baseline) and the window, for the report."""

    model_config = ConfigDict(frozen=True)

    feature: str
    kind: str
    buckets: list[str]
    baseline: list[float]
    window: list[float]


class MonitoringResult(BaseModel):
    """What a monitoring run found: scores per feature, what crossed, serving health."""

    model_config = ConfigDict(frozen=True)

    model: str
    version: str
    model_sha256: str
    request_log: str  # the folder read
    window: str  # as given, e.g. "1d"
    start: datetime
    end: datetime
    rows: int  # answered instances scored (before sampling)
    skew: DriftReport | None  # None when every request of the window failed (nothing to score)
    drift: DriftReport | None  # None when the window before had no rows
    health: HealthReport
    distributions: list[Distribution]

    @property
    def crossed_features(self) -> list[str]:
        """Features whose skew or drift crossed its threshold (sorted, each once)."""
        reports = [report for report in (self.skew, self.drift) if report is not None]
        return sorted({name for report in reports for name in report.crossed})

    @property
    def crossed(self) -> bool:
        return bool(self.crossed_features or self.health.crossed)


def monitor_window(
    baseline: Baseline,
    request_log: str,
    model_sha256: str,
    window: Window,
    config: MonitoringConfig,
    *,
    model: str,
    version: str,
    window_text: str = "",
    connection: duckdb.DuckDBPyConnection | None = None,
) -> MonitoringResult:
    """Score one window of `request_log` (a folder of request log Parquet files) for one version.

    MonitoringError when the window has no requests of the version, naming the window and folder.
    """
    connection = connection or connect()
    config.check_features(baseline.features, where=f"the baseline of {baseline.source}")
    log = open_request_log(connection, request_log)
    rows = in_window(log, model_sha256, window)
    health = serving_health(rows, config.health)
    if health.requests == 0:
        raise MonitoringError(
            f"{request_log}: no requests of model {model!r} version {version} (model {model_sha256[:12]}) "
            f"in the window {window}"
        )
    scored = answered(rows)
    count = row_count(scored)
    current = _counts(baseline, scored, f"window {window}", config) if count else None
    earlier_rows = answered(in_window(log, model_sha256, window.before()))
    earlier = _counts(baseline, earlier_rows, f"window {window.before()}", config) if row_count(earlier_rows) else None
    return MonitoringResult(
        model=model,
        version=version,
        model_sha256=model_sha256,
        request_log=request_log,
        window=window_text or str(window.end - window.start),
        start=window.start,
        end=window.end,
        rows=count,
        skew=skew(baseline, current, config) if current else None,
        drift=drift(baseline, earlier, current, config) if current and earlier else None,
        health=health,
        distributions=_distributions(baseline, current) if current else [],
    )


def _counts(
    baseline: Baseline, relation: duckdb.DuckDBPyRelation, label: str, config: MonitoringConfig
) -> WindowCounts:
    counts = count_window(baseline, relation, sampling_rate=config.sampling_rate)
    return counts.model_copy(update={"source": label})


def _distributions(baseline: Baseline, window: WindowCounts) -> list[Distribution]:
    result = []
    for name, feature in baseline.features.items():
        training, served = np.asarray(feature.counts, dtype=float), window.counts[name].astype(float)
        result.append(
            Distribution(
                feature=name,
                kind=feature.kind,
                buckets=feature.bucket_labels(),
                baseline=(training / max(training.sum(), 1)).tolist(),
                window=(served / max(served.sum(), 1)).tolist(),
            )
        )
    return result


__all__ = ["Distribution", "MonitoringError", "MonitoringResult", "Window", "monitor_window"]
