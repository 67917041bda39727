"""The `monitoring:` section of a pipeline config: thresholds, metrics, windows, sampling, bins.

Validated up front like the rest of the config (unknown keys rejected, errors name the key). A
threshold of 0 is a real threshold: any score above 0 crosses it. The Vertex SDK drops falsy
thresholds silently; here a per-feature threshold is looked up by key, never with `or`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator

from mlops.config import _Section

_WINDOW = re.compile(r"^([1-9][0-9]{0,4})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
Threshold = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class MonitoringConfigError(ValueError):
    """The monitoring config does not fit the model (e.g. thresholds for features it does not have)."""


def parse_window(text: str) -> timedelta:
    """`"30m"`, `"6h"`, `"1d"`, `"2w"` as a timedelta; ValueError naming the text otherwise."""
    match = _WINDOW.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"window {text!r} is not a count and a unit (m, h, d or w), e.g. 1d or 7d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class MetricsConfig(_Section):
    """Which score is compared with the threshold, per kind of feature (Vertex's choices)."""

    numeric: Literal["jensen_shannon"] = "jensen_shannon"
    categorical: Literal["l_infinity", "jensen_shannon"] = "l_infinity"


class HealthConfig(_Section):
    """Serving health thresholds, over the requests of a window (docs/monitoring.md). Crossed when
    the value is strictly greater; 0 is a real threshold (any error, any latency crosses it)."""

    max_error_rate: float = Field(default=0.01, ge=0, le=1, description="share of requests answered 4xx/5xx")
    max_latency_p50_ms: float | None = Field(default=None, ge=0, allow_inf_nan=False, description="unset: no check")
    max_latency_p95_ms: float | None = Field(default=None, ge=0, allow_inf_nan=False, description="unset: no check")
    max_latency_p99_ms: float | None = Field(default=1000.0, ge=0, allow_inf_nan=False, description="in the server")

    def latency_thresholds(self) -> dict[str, float]:
        """Percentile name ("p50", ...) -> threshold in ms, for the ones that are set (0 included)."""
        limits = {"p50": self.max_latency_p50_ms, "p95": self.max_latency_p95_ms, "p99": self.max_latency_p99_ms}
        return {name: limit for name, limit in limits.items() if limit is not None}


class MonitoringConfig(_Section):
    """Skew and drift detection settings (docs/monitoring.md)."""

    default_threshold: Threshold = 0.3  # Vertex AI Model Monitoring's default
    thresholds: dict[str, Threshold] = Field(default_factory=dict, description="per feature; 0 is a threshold")
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    # The serving windows scored: the first for skew (against training), each against the one
    # before it for drift. Written as a count and a unit: 30m, 6h, 1d, 2w.
    windows: list[str] = Field(default_factory=lambda: ["1d"], min_length=1)
    sampling_rate: float = Field(default=1.0, gt=0, le=1, description="share of a window's rows scored, in (0, 1]")
    numeric_bins: int = Field(default=10, ge=2, le=100, description="quantile bins fixed at training time")
    top_categories: int = Field(default=50, ge=1, le=1000, description="categories kept by name; the rest are other")
    health: HealthConfig = Field(default_factory=HealthConfig)  # error rate and latency of the serving window

    @field_validator("windows")
    @classmethod
    def _windows_parse(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_window(text)
        if len(set(value)) != len(value):
            raise ValueError(f"windows repeat a value: {value}")
        return value

    def window_lengths(self) -> list[timedelta]:
        return [parse_window(text) for text in self.windows]

    def threshold_for(self, feature: str) -> float:
        """The feature's own threshold if it has one (0 included), else the default."""
        # A lookup with a default, never `self.thresholds.get(feature) or default`: that drops a 0.
        return self.thresholds.get(feature, self.default_threshold)

    def metric_for(self, kind: str) -> str:
        return self.metrics.numeric if kind == "numeric" else self.metrics.categorical

    def check_features(self, features: Iterable[str], where: str = "the baseline") -> None:
        """MonitoringConfigError naming every thresholded feature that is not in `features`."""
        known = set(features)
        if unknown := sorted(name for name in self.thresholds if name not in known):
            raise MonitoringConfigError(
                f"monitoring.thresholds names feature(s) {unknown} that {where} does not have; "
                f"its features are {sorted(known)}"
            )
