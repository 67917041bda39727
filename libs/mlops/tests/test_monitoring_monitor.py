"""Monitoring a served version over a window of the request log: skew, drift, health, outputs, alert.

Hand-written tables: a training table, and request log files in the server's layout (one row per
answered instance, one row per failed request) with defects: nulls, an unseen category, a shifted
numeric feature, error responses, a slow request, rows of another model and outside the window.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.alerts.notifier import DedupStore, FileChannel, LogChannel, Notifier
from mlops.monitoring.baseline import Baseline, compute_baseline
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import HealthConfig, MonitoringConfig
from mlops.monitoring.monitor import MonitoringResult, Window, monitor_window
from mlops.monitoring.outputs import alert_for, metrics, send_alert, write_metrics, write_report
from mlops.request_log_schema import request_log_schema

SHA, OTHER_SHA = "a" * 64, "b" * 64
END = datetime(2026, 12, 2, tzinfo=UTC)
DAY = timedelta(days=1)
PLANS = ["a", "b", "c"]


def training(folder: Path) -> Baseline:
    rows = {"tenure": [float(i + 1) for i in range(60)], "charges": [10.0 + i for i in range(60)]}
    path = folder / "train.parquet"
    pq.write_table(pa.table({**rows, "plan": [PLANS[i % 3] for i in range(60)]}), path)
    return compute_baseline(str(path), numeric=["tenure", "charges"], categorical=["plan"])


def log_rows(at: datetime, *, shift: float = 0.0, defects: bool = False, sha: str = SHA) -> list[dict]:
    """20 answered requests of 3 instances (the training values, tenure shifted by `shift`)."""
    rows = []
    for j in range(60):
        request = j // 3
        plan: str | None = PLANS[j % 3]
        charges: float | None = 10.0 + j
        if defects and j == 0:
            plan = None  # a null category
        if defects and j == 1:
            plan = "zzz"  # unseen in training
        if defects and j == 3:
            charges = None
        latency = 4000.0 if defects and request == 7 else 5.0  # one slow request
        rows.append(
            {
                "request_time": at + timedelta(minutes=request),
                "request_id": f"{at:%d}-{request}",
                "instance_index": j % 3,
                "model_sha256": sha,
                "status": 200,
                "latency_ms": latency,
                "tenure": j + 1 + shift,
                "charges": charges,
                "plan": plan,
            }
        )
    return rows


def failure(at: datetime, status: int, request_id: str, sha: str = SHA) -> dict:
    return {"request_time": at, "request_id": request_id, "instance_index": None, "model_sha256": sha,
            "status": status, "latency_ms": 2.0, "tenure": None, "charges": None, "plan": None}  # fmt: skip


# The server's schema (the prediction columns stay null: monitoring does not read them).
SCHEMA = request_log_schema({"tenure": "number", "charges": "number", "plan": "text"})


def write_log(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), folder / f"{name}.parquet")


@pytest.fixture()
def served(tmp_path: Path) -> tuple[Baseline, Path]:
    """Yesterday: the training mix. Today: tenure shifted, defects, 2 failures, 1 slow request."""
    baseline, log = training(tmp_path), tmp_path / "requests"
    write_log(log / "churn-endpoint", "earlier", log_rows(END - 2 * DAY + timedelta(hours=1)))
    today = log_rows(END - DAY + timedelta(hours=1), shift=500, defects=True)
    failures = [failure(END - timedelta(hours=2), 500, "f1"), failure(END - timedelta(hours=1), 400, "f2")]
    write_log(log / "churn-endpoint", "today", today + failures)
    noise = [  # not this version's, or not in the window: must not count
        *log_rows(END - DAY + timedelta(hours=2), shift=-1000, sha=OTHER_SHA),
        failure(END - timedelta(hours=3), 503, "other", sha=OTHER_SHA),
        failure(END, 500, "at-the-end"),  # the end is excluded
    ]
    write_log(log / "another-endpoint", "noise", noise)
    return baseline, log


def run(served: tuple[Baseline, Path], config: MonitoringConfig, end: datetime = END) -> MonitoringResult:
    baseline, log = served
    window = Window.ending(end, DAY)
    return monitor_window(baseline, str(log), SHA, window, config, model="churn", version="3", window_text="1d")


STRICT = MonitoringConfig(health=HealthConfig(max_error_rate=0.05, max_latency_p99_ms=1000))


def test_exactly_the_shifted_feature_crosses_and_health_crosses_as_expected(served) -> None:
    result = run(served, STRICT)
    assert result.rows == 60 and result.health.requests == 22 and result.health.errors == 2
    assert result.skew is not None and result.drift is not None
    assert result.skew.crossed == ["tenure"] and result.drift.crossed == ["tenure"]
    assert result.crossed_features == ["tenure"]
    scores = {score.feature: score for score in result.skew.features}
    assert 0 < scores["plan"].value < 0.3  # the null and the unseen category move it a little
    assert 0 < scores["charges"].value < 0.3  # one null
    assert result.health.error_rate == pytest.approx(2 / 22)
    # 22 request latencies: twenty 5 ms, 2 ms twice... and one 4000 ms; p99 interpolates toward it.
    p99 = result.health.latency_ms["p99"]
    assert result.health.latency_ms["p50"] == 5.0 and p99 is not None and p99 > 1000
    assert result.health.crossed == ["error_rate", "latency_p99_ms"]


def test_looser_health_thresholds_are_not_crossed_and_zero_is_a_threshold(served) -> None:
    loose = MonitoringConfig(health=HealthConfig(max_error_rate=0.1, max_latency_p99_ms=5000))
    assert run(served, loose).health.crossed == []
    zero = MonitoringConfig(health=HealthConfig(max_error_rate=0.1, max_latency_p50_ms=0, max_latency_p99_ms=None))
    assert run(served, zero).health.crossed == ["latency_p50_ms"]  # any latency crosses 0


def test_drift_is_skipped_when_the_window_before_has_no_rows(served) -> None:
    result = run(served, STRICT, end=END - DAY)  # the earlier day: nothing before it
    assert result.drift is None and result.skew is not None and result.skew.crossed == []
    assert result.health.requests == 20 and result.health.crossed == []


def test_an_empty_window_names_the_window_and_the_folder(served) -> None:
    expected = r"requests: no requests of model 'churn' version 3 .* in the window \[2026-11-01"
    with pytest.raises(MonitoringError, match=expected):
        run(served, STRICT, end=datetime(2026, 11, 2, tzinfo=UTC))


def test_a_folder_without_log_files_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MonitoringError, match=r"empty: no request log files"):
        monitor_window(training(tmp_path), str(tmp_path / "empty"), SHA, Window.ending(END, DAY), STRICT,
                       model="churn", version="3")  # fmt: skip


def test_report_metrics_and_one_alert_per_window(served, tmp_path: Path) -> None:
    result = run(served, STRICT)
    report, metrics_file = tmp_path / "out" / "report.html", tmp_path / "out" / "metrics.json"
    write_report(result, str(report))
    write_metrics(result, str(metrics_file))
    html = report.read_text()
    assert html.count("<h3 id=") == 3 and "(other)" in html and "tenure" in html
    assert "latency_p99_ms" in html and "Thresholds crossed" in html
    document = json.loads(metrics_file.read_text())
    assert document["crossed"] == {"features": ["tenure"], "health": ["error_rate", "latency_p99_ms"]}
    assert document["metrics"]["skew/tenure"] == metrics(result)["skew/tenure"] > 0.3
    assert document["metrics"]["health/error_rate"] == pytest.approx(2 / 22)

    alerts = tmp_path / "alerts.jsonl"
    notifier = Notifier([LogChannel(), FileChannel(alerts)], DedupStore(str(tmp_path / "dedup.json")))
    assert send_alert(result, notifier, str(report)) == {"log": "sent", "file": "sent"}
    assert send_alert(run(served, STRICT), notifier) == {"log": "duplicate", "file": "duplicate"}
    [line] = alerts.read_text().splitlines()
    alert = json.loads(line)
    assert alert["key"] == "monitoring:churn:3:2026-12-02T00:00:00+00:00"
    assert "tenure" in alert["text"] and alert["fields"]["report"] == str(report)
    crossed = (alert["fields"]["crossed_features"], alert["fields"]["crossed_health"])
    assert crossed == ("tenure", "error_rate,latency_p99_ms")
    later = run(served, STRICT, end=END + timedelta(hours=1))  # another window: a new incident
    assert send_alert(later, notifier) == {"log": "sent", "file": "sent"}


def test_a_health_only_alert_names_no_feature_and_keeps_the_windows_key(served) -> None:
    # A slow or failing server: the alert says so, and that no feature crossed (nothing to retrain).
    health_only = MonitoringConfig(default_threshold=1, health=STRICT.health)
    alert = alert_for(run(served, health_only))
    assert alert is not None and alert.key == "monitoring:churn:3:2026-12-02T00:00:00+00:00"
    assert alert.fields["crossed_features"] == "" and alert.fields["crossed_health"] == "error_rate,latency_p99_ms"
    assert alert.text == "crossed: error_rate, latency_p99_ms"


def test_nothing_crossed_sends_nothing(served, tmp_path: Path) -> None:
    loose = MonitoringConfig(default_threshold=1, health=HealthConfig(max_error_rate=1, max_latency_p99_ms=None))
    result = run(served, loose)
    assert not result.crossed
    assert send_alert(result, Notifier([FileChannel(tmp_path / "alerts.jsonl")])) == {}
    assert not (tmp_path / "alerts.jsonl").exists()


def test_log_files_from_before_status_and_latency_read_as_answered_with_unknown_latency(tmp_path: Path) -> None:
    baseline, log = training(tmp_path), tmp_path / "old"
    rows = [{k: v for k, v in row.items() if k not in ("status", "latency_ms")} for row in log_rows(END - DAY)]
    schema = pa.schema([field for field in SCHEMA if field.name not in ("status", "latency_ms")])
    log.mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), log / "old.parquet")
    result = monitor_window(baseline, str(log), SHA, Window.ending(END, DAY), STRICT, model="churn", version="3")
    assert result.rows == 60 and result.health.requests == 20 and result.health.errors == 0
    assert result.health.latency_ms == {"p50": None, "p95": None, "p99": None} and not result.crossed
