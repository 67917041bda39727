from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from mlops.monitoring.config import MonitoringConfig, MonitoringConfigError, parse_window


def test_defaults_are_vertex_s() -> None:
    config = MonitoringConfig()
    assert config.default_threshold == 0.3
    assert config.metric_for("numeric") == "jensen_shannon"
    assert config.metric_for("categorical") == "l_infinity"
    assert config.window_lengths() == [timedelta(days=1)]


def test_a_threshold_of_zero_is_kept_not_replaced_by_the_default() -> None:
    config = MonitoringConfig.model_validate({"default_threshold": 0.2, "thresholds": {"age": 0, "city": 0.5}})
    assert config.threshold_for("age") == 0.0
    assert config.threshold_for("city") == 0.5
    assert config.threshold_for("income") == 0.2
    assert MonitoringConfig(default_threshold=0).threshold_for("anything") == 0.0


@pytest.mark.parametrize("threshold", [-0.1, float("nan"), float("inf"), "high"])
def test_a_threshold_must_be_a_finite_number_at_least_zero(threshold: object) -> None:
    with pytest.raises(ValidationError, match="thresholds.age"):
        MonitoringConfig.model_validate({"thresholds": {"age": threshold}})


def test_the_categorical_metric_may_be_jensen_shannon_and_nothing_else_unknown() -> None:
    config = MonitoringConfig.model_validate({"metrics": {"categorical": "jensen_shannon"}})
    assert config.metric_for("categorical") == "jensen_shannon"
    with pytest.raises(ValidationError, match="metrics.numeric"):
        MonitoringConfig.model_validate({"metrics": {"numeric": "l_infinity"}})
    with pytest.raises(ValidationError, match="treshold"):
        MonitoringConfig.model_validate({"treshold": 0.1})


def test_windows_are_a_count_and_a_unit() -> None:
    config = MonitoringConfig(windows=["30m", "6h", " 1d", "2w"])
    assert config.window_lengths() == [timedelta(minutes=30), timedelta(hours=6), timedelta(days=1), timedelta(weeks=2)]
    assert parse_window("7d") == timedelta(days=7)


@pytest.mark.parametrize("text", ["1 day", "0d", "1.5h", "d", "5x", "", "-1d", "100000d"])
def test_bad_window_text_is_named(text: str) -> None:
    with pytest.raises(ValidationError, match=f"window '{text}' is not a count and a unit"):
        MonitoringConfig(windows=[text])


def test_windows_cannot_repeat_or_be_empty() -> None:
    with pytest.raises(ValidationError, match="repeat"):
        MonitoringConfig(windows=["1d", "1d"])
    with pytest.raises(ValidationError, match="windows"):
        MonitoringConfig(windows=[])


@pytest.mark.parametrize("rate", [0, -0.5, 1.01])
def test_sampling_rate_is_in_zero_to_one(rate: float) -> None:
    with pytest.raises(ValidationError, match="sampling_rate"):
        MonitoringConfig(sampling_rate=rate)
    assert MonitoringConfig(sampling_rate=1).sampling_rate == 1


def test_thresholds_for_unknown_features_are_named() -> None:
    MonitoringConfig(thresholds={"age": 0.1}).check_features(["age", "city"])
    config = MonitoringConfig(thresholds={"age": 0.1, "agee": 0.2})
    with pytest.raises(MonitoringConfigError, match=r"\['agee'\] that the baseline does not have"):
        config.check_features(["age", "city"])


def test_health_defaults_and_a_zero_latency_threshold_is_kept() -> None:
    health = MonitoringConfig().health
    assert health.max_error_rate == 0.01 and health.latency_thresholds() == {"p99": 1000.0}
    config = MonitoringConfig.model_validate({"health": {"max_latency_p50_ms": 0, "max_latency_p99_ms": None}})
    assert config.health.latency_thresholds() == {"p50": 0.0}


@pytest.mark.parametrize(
    ("health", "key"),
    [
        ({"max_error_rate": 1.5}, "health.max_error_rate"),
        ({"max_error_rate": -0.1}, "health.max_error_rate"),
        ({"max_latency_p99_ms": float("nan")}, "health.max_latency_p99_ms"),
        ({"max_latency_p95_ms": -1}, "health.max_latency_p95_ms"),
        ({"max_latency": 10}, "health.max_latency"),
    ],
)
def test_bad_health_thresholds_name_the_key(health: dict[str, object], key: str) -> None:
    with pytest.raises(ValidationError, match=key):
        MonitoringConfig.model_validate({"health": health})
