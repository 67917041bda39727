"""Scoring windows against a baseline: skew (training vs serving) and drift (earlier vs recent window).

Every window is counted on the baseline's bins (mlops.monitoring.buckets, one DuckDB pass), so
scores are comparable over time. Per feature the result holds the configured metric's value, the
threshold, whether it is crossed (value > threshold: a threshold of 0 is crossed by any change),
and every metric (Jensen-Shannon, L-infinity, PSI) for reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import duckdb
import numpy as np
from pydantic import BaseModel, ConfigDict

from mlops.monitoring.baseline import Baseline
from mlops.monitoring.buckets import MonitoringError, connect, count_buckets, open_source
from mlops.monitoring.config import MonitoringConfig
from mlops.monitoring.divergences import all_metrics

Window = str | duckdb.DuckDBPyRelation  # Parquet file or folder, or a DuckDB relation


class WindowCounts(BaseModel):
    """A window's rows and its count per bucket of each feature (on a baseline's bins)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    source: str
    rows: int
    counts: dict[str, np.ndarray]


class FeatureScore(BaseModel):
    """One feature's score against its threshold."""

    model_config = ConfigDict(frozen=True)

    feature: str
    kind: Literal["numeric", "categorical"]
    metric: str
    value: float
    threshold: float
    crossed: bool
    scores: dict[str, float]  # every metric, the configured one included


class DriftReport(BaseModel):
    """Skew or drift of every feature: what was compared and the scores."""

    model_config = ConfigDict(frozen=True)

    comparison: Literal["skew", "drift"]
    baseline: str  # what the window was compared with: the training table, or the earlier window
    window: str
    rows: int  # of the (recent) window
    features: list[FeatureScore]

    @property
    def crossed(self) -> list[str]:
        return [score.feature for score in self.features if score.crossed]


def count_window(
    baseline: Baseline,
    window: Window,
    *,
    sampling_rate: float = 1.0,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> WindowCounts:
    """Count `window` on the baseline's bins; MonitoringError naming the window if it has no rows."""
    connection = connection or connect()
    relation, label = open_source(connection, window)
    rows, counts = count_buckets(relation, label, baseline.features, sampling_rate)
    if rows == 0:
        after = " (after sampling)" if sampling_rate < 1 else ""
        raise MonitoringError(f"{label}: the window has no rows to score{after}")
    return WindowCounts(source=label, rows=rows, counts=counts)


def merged(parts: list[WindowCounts], source: str) -> WindowCounts:
    """The counts of the union of `parts` (counts add up), e.g. a day from its hours, without a rescan."""
    if not parts:
        raise MonitoringError(f"{source}: no window counts to merge")
    names = parts[0].counts
    if odd := [part.source for part in parts if part.counts.keys() != names.keys()]:
        raise MonitoringError(f"{source}: {odd} were not counted on the same features as {parts[0].source}")
    counts = {name: np.sum([part.counts[name] for part in parts], axis=0) for name in names}
    return WindowCounts(source=source, rows=sum(part.rows for part in parts), counts=counts)


def skew(
    baseline: Baseline, window: Window | WindowCounts, config: MonitoringConfig | None = None
) -> DriftReport:
    """Training-serving skew: the baseline's training histograms against `window`."""
    config = _checked(config, baseline)
    counts = _counted(baseline, window, config)
    training = {name: np.asarray(feature.counts) for name, feature in baseline.features.items()}
    features = _scores(baseline, training, counts.counts, config)
    return DriftReport(
        comparison="skew", baseline=baseline.source, window=counts.source, rows=counts.rows, features=features
    )


def drift(
    baseline: Baseline,
    earlier: Window | WindowCounts,
    recent: Window | WindowCounts,
    config: MonitoringConfig | None = None,
) -> DriftReport:
    """Prediction drift: the `recent` window against the `earlier` one, both on the baseline's bins."""
    config = _checked(config, baseline)
    before, after = _counted(baseline, earlier, config), _counted(baseline, recent, config)
    features = _scores(baseline, before.counts, after.counts, config)
    return DriftReport(
        comparison="drift", baseline=before.source, window=after.source, rows=after.rows, features=features
    )


def _counted(baseline: Baseline, window: Window | WindowCounts, config: MonitoringConfig) -> WindowCounts:
    if isinstance(window, WindowCounts):
        return window
    return count_window(baseline, window, sampling_rate=config.sampling_rate)


def _checked(config: MonitoringConfig | None, baseline: Baseline) -> MonitoringConfig:
    config = config or MonitoringConfig()
    config.check_features(baseline.features, where=f"the baseline of {baseline.source}")
    return config


def _scores(
    baseline: Baseline,
    before: Mapping[str, np.ndarray],
    after: Mapping[str, np.ndarray],
    config: MonitoringConfig,
) -> list[FeatureScore]:
    results = []
    for name, feature in baseline.features.items():
        scores = all_metrics(before[name], after[name])
        metric, threshold = config.metric_for(feature.kind), config.threshold_for(name)
        value = scores[metric]
        results.append(
            FeatureScore(
                feature=name,
                kind=feature.kind,
                metric=metric,
                value=value,
                threshold=threshold,
                crossed=value > threshold,
                scores=scores,
            )
        )
    return results
