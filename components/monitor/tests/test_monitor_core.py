"""The step's logic on hand-written request logs: what crosses, the outputs, one alert per window, and
bad input refused before anything is written."""

import json
from pathlib import Path

import pytest

from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import MonitoringConfigError
from mlops.registry import RegistryError
from mlops.testing.monitoring import DAY, END, MODEL, Registered
from mlops.testing.webhook import webhook_receiver
from monitor.core import MonitorError
from monitor_fixtures import monitor  # pants: no-infer-dep (the BUILD's fixtures target)

pytest_plugins = ["monitor_fixtures"]


def test_the_shifted_feature_and_the_error_rate_cross_and_alert_once(registered: Registered, tmp_path: Path) -> None:
    result, outcome = monitor(registered, tmp_path)
    assert (outcome.model, outcome.version, outcome.window) == (MODEL, "1", "1d")
    assert outcome.rows == 60 and outcome.requests == 22  # 20 answered requests of 3 rows, 2 failed
    assert outcome.crossed_features == ["tenure_months"] and outcome.crossed_health == ["error_rate"]
    assert outcome.alert == {"log": "sent", "file": "sent"} and outcome.as_dict()["crossed"] is True
    skew = {score.feature: score.value for score in result.skew.features}
    assert skew["support_calls"] == 0  # served as 1.0, trained as 1: the same categories
    assert 0 < skew["contract_type"] < 0.3 and 0 < skew["monthly_charges"] < 0.3  # nulls, an unseen value
    document = json.loads((tmp_path / "metrics.json").read_text())
    assert document["metrics"]["skew/tenure_months"] > 0.3 and document["metrics"]["health/error_rate"] == 2 / 22
    assert "tenure_months" in (tmp_path / "report.html").read_text()

    _, again = monitor(registered, tmp_path)  # the same window: the same incident
    assert again.alert == {"log": "duplicate", "file": "duplicate"}
    [line] = (tmp_path / "alerts" / "alerts.jsonl").read_text().splitlines()
    alert = json.loads(line)
    assert alert["key"] == f"monitoring:{MODEL}:1:{END.isoformat()}"
    assert (alert["fields"]["crossed_features"], alert["fields"]["crossed_health"]) == ("tenure_months", "error_rate")


def test_a_window_like_training_crosses_nothing_and_sends_nothing(registered: Registered, tmp_path: Path) -> None:
    _, outcome = monitor(registered, tmp_path, window_end=(END - DAY).isoformat(), version="1")
    assert not outcome.crossed and outcome.alert == {} and outcome.rows == 60
    assert not (tmp_path / "alerts" / "alerts.jsonl").exists() and (tmp_path / "report.html").exists()


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"model_name": "unknown-model"}, MonitoringError, "model 'unknown-model' has no default version in"),
        ({"version": "7"}, RegistryError, r"has no version '7' \(versions: 1\)"),
        ({"model_name": "no-baseline"}, MonitoringError, "version 1 has no baseline"),
        ({"window": "1 day"}, MonitorError, "window: window '1 day' is not a count and a unit"),
        ({"window_end": "yesterday"}, MonitorError, "window end 'yesterday' is not an ISO 8601 time"),
        ({"window_end": "2026-10-01T00:00:00Z"}, MonitoringError, "no requests of model 'churn-classifier' version 1"),
        ({"config": {"sampling_rate": 2}}, MonitorError, "monitoring config: sampling_rate: Input should be less"),
        ({"config": {"thresholds": {"age": 0.1}}}, MonitoringConfigError, r"feature\(s\) \['age'\] that"),
        ({"config": "[1]"}, MonitorError, "monitoring config: expected a JSON object, got list"),
        ({"source_uri": "/nowhere/requests"}, MonitorError, "source /nowhere/requests: no such folder"),
        ({"source_uri": "/p/predictions.parquet"}, MonitorError, "source /p/predictions.parquet: no such file"),
    ],
)
def test_bad_input_is_refused_by_name_and_writes_nothing(
    registered: Registered, tmp_path: Path, changes: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        monitor(registered, tmp_path, **changes)
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "alerts").exists()


def test_the_alert_reaches_a_webhook_and_an_unreadable_secret_does_not_fail_the_step(
    registered: Registered, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with webhook_receiver() as (url, received):
        monkeypatch.setenv("MONITOR_TEST_WEBHOOK", url)
        _, outcome = monitor(registered, tmp_path / "a", webhook_secret="env:MONITOR_TEST_WEBHOOK")
    assert outcome.alert == {"log": "sent", "file": "sent", "webhook": "sent"}
    [message] = received
    assert message["text"].startswith("[WARNING] churn-classifier version 1: monitoring thresholds crossed")
    assert "crossed: tenure_months, error_rate" in message["text"]

    _, unread = monitor(registered, tmp_path / "b", webhook_secret="env:MONITOR_UNSET_WEBHOOK")
    assert unread.alert == {"log": "sent", "file": "sent"}  # no webhook channel; the others still count
