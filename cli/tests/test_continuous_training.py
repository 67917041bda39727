"""Continuous training, locally, end to end through `main`: real training runs (kfp.local, small
data), a real model server (`python -m serve` from the checkout, as `mlops deploy` starts it),
hand-written request logs and landed CSV files.

`mlops monitor --retrain` trains when skew or drift crossed and deploys the winner as a canary;
`mlops watch --once` trains on a landed file once it holds still, and only once.
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from mlops.config import load_settings
from mlops.model_bundle import read_bundle
from mlops.registry import LocalModelRegistry
from mlops.sample_data import SampleSpec, generate
from mlops_cli.main import main
from run_fixtures import PIPELINES  # pants: no-infer-dep

MODEL = "churn-classifier"  # registry.model_name in config/pipelines/churn.yaml
ENDPOINT = f"{MODEL}-endpoint"
END = datetime(2026, 12, 2, tzinfo=UTC)
CSV_HEADER = "entity_id,event_timestamp,tenure_months,monthly_charges,support_calls,contract_type,payment_method,region"


@pytest.fixture()
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A local environment where a training run registered churn-classifier:1 on 600 sample rows and
    a real server serves it; returns (env file, training config)."""
    settings = {
        "environment": "local",
        "storage_root": str(tmp_path / "data"),
        "metadata_dir": str(tmp_path / "meta"),
        "gcp": {"project_id": "local-project", "pipeline_root": str(tmp_path / "root")},
    }
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(settings))
    config = yaml.safe_load((PIPELINES / "churn.yaml").read_text())
    config["data"]["source"] = "sample://churn?rows=600&seed=3"
    config["model"]["params"] = {"n_estimators": 30}
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(config))
    env, train = str(tmp_path / "local.yaml"), str(tmp_path / "train.yaml")
    # The server imports this sandbox's code and requirements; one worker: the machine is small.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(sys.path))
    monkeypatch.setenv("MLOPS_SERVE_WORKERS", "1")
    assert main(["--env", env, "run", "--config", train]) == 0
    assert main(["--env", env, "deploy", f"{MODEL}:1"]) == 0
    try:
        yield env, train
    finally:
        assert main(["--env", env, "undeploy", ENDPOINT]) == 0


def runs(tmp_path: Path) -> int:
    """Training runs recorded so far."""
    return len(list((tmp_path / "data" / "runs").glob("*.json")))


def write_request_log(tmp_path: Path, tenure_shift: float, latency_ms: float = 4.0) -> None:
    """300 answered requests of churn-classifier:1 over the day before END, like its training data
    (sample rows of the same generator), with `tenure_months` shifted by `tenure_shift`."""
    bundle = LocalModelRegistry(tmp_path / "data" / "registry").get_version(MODEL, "1").bundle_uri
    table, rows = generate(SampleSpec("churn", rows=300, seed=3)), 300
    columns = {
        "request_time": pa.array([END - timedelta(days=1) + timedelta(minutes=4 * i) for i in range(rows)]),
        "request_id": pa.array([f"r{i}" for i in range(rows)]),
        "instance_index": pa.array([0] * rows, pa.int32()),
        "model_sha256": pa.array([read_bundle(bundle).model_sha256] * rows),
        "status": pa.array([200] * rows, pa.int16()),
        "latency_ms": pa.array([latency_ms] * rows),
    }
    for name in ("tenure_months", "monthly_charges", "support_calls"):
        shift = tenure_shift if name == "tenure_months" else 0.0
        columns[name] = pa.array([float(v) + shift for v in table[name].to_pylist()])
    for name in ("contract_type", "payment_method", "region"):
        columns[name] = pa.array([str(v) for v in table[name].to_pylist()])
    folder = tmp_path / "data" / "endpoints" / "local" / "requests" / ENDPOINT
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns), folder / "handwritten.parquet")


def csv_lines(rows: int, seed: int) -> list[str]:
    """Churn rows as an export writes them: quoted text (one value holds a comma), churned last."""
    rng, lines = random.Random(seed), [CSV_HEADER + ",churned"]
    for i in range(1, rows + 1):
        tenure, calls = rng.randint(1, 72), rng.randint(0, 8)
        contract = rng.choice(["monthly", "annual", "two_year"])
        churned = int(calls > 4 or (contract == "monthly" and tenure < 12) or rng.random() < 0.05)
        payment, region = rng.choice(["card", "bank transfer", "cash, at store"]), rng.choice(["north", "south"])
        day = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00"
        charges = f"{rng.uniform(20, 120):.2f}"
        lines.append(f'{900000 + i},{day},{tenure}.0,{charges},{calls},"{contract}","{payment}","{region}",{churned}')
    return lines


def write_csv(path: Path, lines: list[str]) -> Path:
    """CRLF line ends and a blank line after the fifth row, as spreadsheet exports come."""
    path.write_bytes(("\r\n".join([*lines[:6], "", *lines[6:]]) + "\r\n").encode())
    return path


def test_drift_retrains_and_deploys_the_winner_as_a_canary(
    served: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env, train = served
    write_request_log(tmp_path, tenure_shift=120.0)
    landed = write_csv(tmp_path / "new.csv", csv_lines(2000, seed=5))
    command = ["--env", env, "monitor", "--model", f"{MODEL}:1", "--window", "1d", "--end", END.isoformat()]
    capsys.readouterr()
    before = runs(tmp_path)
    code = main([*command, "--retrain", "--config", train, "--set", f"source_uri={landed}", "--canary-traffic", "20"])
    out = capsys.readouterr().out
    assert code == 4, out
    assert "skew crossed: tenure_months" in out and "retraining: churn-training ..." in out
    assert runs(tmp_path) == before + 1
    assert f"registered {MODEL}:2: the challenger won" in out
    assert main(["--env", env, "endpoints", "list"]) == 0
    listed = capsys.readouterr().out
    assert f"{MODEL}:1  80%" in listed and f"{MODEL}:2  20%" in listed and "[healthy]" in listed

    # The same data again: the challenger is no better than churn-classifier:2, the champion now.
    assert main([*command, "--retrain", "--config", train, "--set", f"source_uri={landed}"]) == 3
    out = capsys.readouterr().out
    assert "the champion stays" in out and runs(tmp_path) == before + 2 and "deploying" not in out


def test_no_training_when_nothing_crossed_nor_when_only_health_did(
    served: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env, train = served
    write_request_log(tmp_path, tenure_shift=0.0)
    before = runs(tmp_path)
    command = ["--env", env, "monitor", "--model", f"{MODEL}:1", "--window", "1d", "--end", END.isoformat()]
    assert main([*command, "--retrain", "--config", train]) == 0
    out = capsys.readouterr().out
    assert "skew crossed: none" in out and "retraining" not in out and runs(tmp_path) == before
    write_request_log(tmp_path, tenure_shift=0.0, latency_ms=5000.0)  # a slow server, the same data
    assert main([*command, "--retrain", "--config", train]) == 3
    out = capsys.readouterr().out
    assert "health crossed: latency_p99_ms" in out and "not retraining: only serving health crossed" in out
    assert runs(tmp_path) == before


def test_watch_trains_once_on_a_landed_file_and_waits_for_one_still_growing(
    served: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env, train = served
    landing = tmp_path / "landing"
    landing.mkdir()
    write_csv(landing / "day-1.csv", csv_lines(2000, seed=5))
    growing, rows = landing / "day-2.csv", csv_lines(900, seed=6)
    write_csv(growing, rows[:300])
    command = ["--env", env, "watch", "--source", str(landing), "--config", train, "--once"]
    before = runs(tmp_path)
    capsys.readouterr()

    assert main(command) == 0  # both are new: noted, not trained on yet
    out = capsys.readouterr().out
    assert out.count("new or changing:") == 2 and "nothing ready" in out and runs(tmp_path) == before
    write_csv(growing, rows[:600])  # still being copied
    assert main(command) == 0
    out = capsys.readouterr().out
    assert f"retraining: churn-training on {landing / 'day-1.csv'}" in out and runs(tmp_path) == before + 1
    assert f"new or changing: {growing}" in out and "day-2" not in out.split("retraining:")[1]
    assert f"{MODEL}:1  90%" in out and f"{MODEL}:2  10%" in out
    write_csv(growing, rows)
    assert main(command) == 0  # day-1 is not trained on again; day-2 still grew
    out = capsys.readouterr().out
    assert "retraining" not in out and "nothing ready" in out and runs(tmp_path) == before + 1


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env, train, batch = _env_file(tmp_path), str(PIPELINES / "churn.yaml"), str(PIPELINES / "churn-batch.yaml")
    cases = {
        ("watch", "--source", str(tmp_path / "nowhere"), "--config", train): "nowhere: no such folder",
        ("watch", "--source", str(tmp_path), "--config", batch): "pipeline 'batch_prediction' is not a training",
        ("watch", "--source", str(tmp_path), "--config", train, "--canary-traffic", "0"): "--canary-traffic 0",
        ("monitor", "--model", "churn-classifier:1", "--retrain"): "--config: give the training pipeline config",
        ("monitor", "--model", "churn-classifier:1", "--set", "source_uri=x.csv"): "--set is for --retrain",
    }
    for args, expected in cases.items():
        assert main(["--env", env, *args]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.count("\n") == 1 and expected in err, err


def test_a_partition_is_trained_on_as_a_folder_and_a_changed_file_again(tmp_path: Path) -> None:
    """The poll's own logic, with the training step replaced by a list of what it was asked to train
    on (the real run is covered above): partitions, temporary files, files changed after training."""
    from mlops_cli.watch import State, poll

    settings = load_settings(_env_file(tmp_path))
    landing, trained = tmp_path / "landing", []
    partition = landing / "date=2026-12-01"
    partition.mkdir(parents=True)
    write_csv(partition / "part-0.csv", csv_lines(20, seed=1))
    write_csv(landing / ".day-3.csv.part", csv_lines(20, seed=2))  # a copy tool's temporary file
    day = write_csv(landing / "day-1.csv", csv_lines(20, seed=3))

    def train(path: str) -> int:
        trained.append(path)
        return 0

    assert not poll(landing, State(settings, landing), train) and trained == []
    assert not poll(landing, State(settings, landing), train)  # a new State: read back from its file
    assert trained == [str(partition), str(day)]
    write_csv(partition / "part-1.csv", csv_lines(20, seed=4))  # the partition grows
    write_csv(day, csv_lines(25, seed=3))  # the file is replaced by a longer one
    for _ in range(3):
        poll(landing, State(settings, landing), train)
    assert trained == [str(partition), str(day)] * 2
    state = json.loads(next((tmp_path / "m" / "watch").glob("*.json")).read_text())
    assert state["pending"] == {} and set(state["seen"]) == {str(day), str(partition)}


def _env_file(tmp_path: Path) -> str:
    settings: dict[str, object] = {"environment": "local", "storage_root": str(tmp_path / "data")}
    settings["metadata_dir"] = str(tmp_path / "m")
    settings["gcp"] = {"project_id": "local-project", "pipeline_root": str(tmp_path / "root")}
    (tmp_path / "local.yaml").write_text(yaml.safe_dump(settings))
    return str(tmp_path / "local.yaml")
