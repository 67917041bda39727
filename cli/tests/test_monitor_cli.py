"""`mlops monitor` end to end: a small real churn model registered locally with its baseline, and a
request log in the local server's layout under the local endpoints' folder."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml

from mlops.model_bundle import read_bundle, save_bundle
from mlops.monitoring.baseline import compute_baseline, save_baseline
from mlops.registry import LocalModelRegistry
from mlops.testing.bundles import PROBLEMS, fit_bundle, write_splits
from mlops_cli.main import main

END = datetime(2026, 12, 2, tzinfo=UTC)


def write_log(path: Path, table: pa.Table, sha: str, day: datetime, tenure_shift: float = 0.0) -> None:
    """`table`'s rows as answered requests of one instance each, spread over `day`, 5 ms each."""
    spec, rows = PROBLEMS["churn"], table.num_rows
    times = [day + timedelta(seconds=60 * i) for i in range(rows)]
    columns = {
        "request_time": pa.array(times, pa.timestamp("us", tz="UTC")),
        "request_id": pa.array([f"{day:%d}-{i}" for i in range(rows)]),
        "instance_index": pa.array([0] * rows, pa.int32()),
        "model_sha256": pa.array([sha] * rows),
        "status": pa.array([200] * rows, pa.int16()),
        "latency_ms": pa.array([5.0] * rows),
    }
    for name in spec["numeric_features"]:
        values = pc.cast(table[name], pa.float64())
        columns[name] = pc.add(values, tenure_shift) if name == "tenure_months" else values
    for name in spec["categorical_features"]:
        columns[name] = pc.cast(table[name], pa.string())
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), path)


@pytest.fixture()
def env(tmp_path: Path) -> tuple[str, str]:
    """A local environment with churn version 1 registered; returns (env file, model sha)."""
    splits = write_splits(tmp_path, "churn", {"train": (300, 1), "serve": (300, 2)})
    model = tmp_path / "model"
    save_bundle(fit_bundle("churn", splits["train"]), str(model))
    spec = PROBLEMS["churn"]
    baseline = compute_baseline(splits["train"], spec["numeric_features"], spec["categorical_features"])
    save_baseline(baseline, str(model))
    LocalModelRegistry(tmp_path / "data" / "registry").register("churn", str(model), metrics={})
    settings: dict[str, object] = {"environment": "local", "storage_root": str(tmp_path / "data")}
    settings["metadata_dir"] = str(tmp_path / "meta")
    gcp = {"project_id": "acme-mlops-dev", "region": "europe-west2", "pipeline_root": str(tmp_path / "root")}
    settings["gcp"] = gcp
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(settings))
    sha = read_bundle(str(model)).model_sha256
    serve = pq.read_table(splits["serve"])
    requests = tmp_path / "data" / "endpoints" / "local" / "requests" / "churn-endpoint"
    write_log(requests / "day1.parquet", serve, sha, END - timedelta(days=2))  # like training
    write_log(requests / "day2.parquet", serve, sha, END - timedelta(days=1), tenure_shift=120.0)
    return str(tmp_path / "local.yaml"), sha


def test_monitor_reports_the_shifted_feature_exits_3_and_alerts_once(
    env: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["--env", env[0], "monitor", "--model", "churn:1", "--window", "1d"]
    assert main([*command, "--end", "2026-12-01T00:00:00"]) == 0  # the training-like day
    out = capsys.readouterr().out
    assert "rows scored: 300" in out and "skew crossed: none" in out and "drift crossed: n/a" in out

    report = tmp_path / "out" / "report.html"
    assert main([*command, "--end", "2026-12-02T00:00:00Z", "--report", str(report)]) == 3
    out = capsys.readouterr().out
    assert "skew crossed: tenure_months\n" in out and "drift crossed: tenure_months\n" in out
    assert "health crossed: none" in out and "alert: log sent, file sent" in out
    assert "tenure_months" in report.read_text()
    metrics = json.loads((tmp_path / "out" / "report.metrics.json").read_text())
    assert metrics["crossed"] == {"features": ["tenure_months"], "health": []}
    assert main([*command, "--end", "2026-12-02T00:00:00Z", "--report", str(report)]) == 3
    assert "alert: log duplicate, file duplicate" in capsys.readouterr().out
    assert len((tmp_path / "meta" / "monitoring" / "alerts.jsonl").read_text().splitlines()) == 1


def test_bad_input_is_one_line_and_exit_2(env: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--env", env[0], "monitor", "--model", "churn:1"]
    cases = {
        ("--end", "2026-10-01T00:00:00Z"): "no requests of model 'churn' version 1",
        ("--window", "1 day"): "--window: window '1 day' is not a count and a unit",
        ("--end", "yesterday"): "--end 'yesterday' is not an ISO 8601 time",
    }
    for extra, expected in cases.items():
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.count("\n") == 1 and expected in err, err
    assert "[2026-09-30T00:00:00+00:00, 2026-10-01T00:00:00+00:00)" in _last_empty_window(base, capsys)


def _last_empty_window(base: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main([*base, "--end", "2026-10-01T00:00:00Z"]) == 2
    return capsys.readouterr().err
