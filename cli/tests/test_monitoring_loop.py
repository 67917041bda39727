"""The whole monitoring loop (issue 10 §6), end to end through `main` as a user runs it, with real
parts only: a training run (kfp.local), a real model server answering HTTP requests, its request
log, monitoring, the alert, a retraining run and the canary.

1. train on the sample generator's churn data and deploy locally; send normal traffic, then traffic
   from the same generator with its drift injection (which shifts tenure, charges, support calls
   and the contract mix, and leaves payment method and region alone);
2. monitoring flags exactly the drifted features, and none in the normal window;
3. the alert fires once for the window, however often it is scored;
4. retraining runs on the new (drifted) data;
5. the new version is registered and deployed as a canary because it beats the champion; the same
   data again does not beat the new champion, and nothing more is registered or deployed.

Windows are cut by time: the normal window ends where the drifted traffic starts, and the drifted
window is the minute after that point (its end is in the future), so each holds one kind of
traffic and drift compares the two.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from mlops.sample_data import SampleSpec, generate
from mlops_cli.main import main
from run_fixtures import PIPELINES  # pants: no-infer-dep

MODEL = "churn-classifier"
ENDPOINT = f"{MODEL}-endpoint"
INPUTS = ["tenure_months", "monthly_charges", "support_calls", "contract_type", "payment_method", "region"]
DRIFTED = ["contract_type", "monthly_charges", "support_calls", "tenure_months"]  # what drift= shifts


def send(env: str, folder: Path, drift: float, seed: int, rows: int = 400, per_request: int = 20) -> None:
    """`rows` instances of the sample generator (with `drift`), through `mlops predict`."""
    table = generate(SampleSpec("churn", rows=rows, seed=seed, drift=drift)).select(INPUTS).to_pylist()
    for start in range(0, rows, per_request):
        path = folder / f"instances-{seed}-{start}.json"
        path.write_text(json.dumps(table[start : start + per_request]))
        assert main(["--env", env, "predict", ENDPOINT, "--instances", str(path)]) == 0


def logged_rows(tmp_path: Path) -> int:
    files = (tmp_path / "data" / "endpoints" / "local" / "requests").rglob("*.parquet")
    return sum(pq.read_metadata(path).num_rows for path in files)


def summary(capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    """`mlops monitor`'s summary lines as {"skew crossed": "a, b", ...}."""
    lines = capsys.readouterr().out.splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def crossed(line: str) -> list[str]:
    return sorted(name.strip() for name in line.split(",")) if line not in ("none", "n/a") else []


def test_drift_is_flagged_alerted_once_retrained_on_and_the_winner_deployed_as_a_canary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = tmp_path / "local.yaml"
    env.write_text(yaml.safe_dump({
        "environment": "local", "storage_root": str(tmp_path / "data"), "metadata_dir": str(tmp_path / "meta"),
        "gcp": {"project_id": "local-project", "pipeline_root": str(tmp_path / "root")},
        "serving": {"request_logging": {"sampling_rate": 1.0}},  # every request logged
    }))  # fmt: skip
    config = yaml.safe_load((PIPELINES / "churn.yaml").read_text())
    config["data"]["source"] = "sample://churn?rows=3000&seed=3"
    config["model"]["params"] = {"n_estimators": 40}
    # 400 served rows against 2,400 training rows: sampling noise is ~0.01-0.02 bits, a drift of the
    # generator's strength is several times 0.1 (the printed scores say by how much).
    config["monitoring"] = {"default_threshold": 0.1}
    train = tmp_path / "train.yaml"
    train.write_text(yaml.safe_dump(config))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(sys.path))  # the server imports this checkout's code
    monkeypatch.setenv("MLOPS_SERVE_WORKERS", "1")
    monkeypatch.setenv("MLOPS_REQUEST_LOG_FLUSH_SECONDS", "1")  # the log is read seconds later, not minutes

    # 1. Train, deploy, serve normal traffic, then drifted traffic.
    assert main(["--env", str(env), "run", "--config", str(train)]) == 0
    assert main(["--env", str(env), "deploy", f"{MODEL}:1"]) == 0
    try:
        send(str(env), tmp_path, drift=0.0, seed=21)
        time.sleep(0.05)
        middle = datetime.now(UTC)  # every normal request was answered before this
        time.sleep(0.05)
        send(str(env), tmp_path, drift=1.0, seed=22)
        deadline = time.monotonic() + 60
        while logged_rows(tmp_path) < 800 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert logged_rows(tmp_path) == 800
        capsys.readouterr()

        # 2. The normal window crosses nothing; the drifted one exactly the drifted features.
        monitor = ["--env", str(env), "monitor", "--model", f"{MODEL}:1", "--window", "1m", "--config", str(train)]
        assert main([*monitor, "--end", middle.isoformat()]) == 0
        normal = summary(capsys)
        assert normal["skew crossed"] == "none" and normal["health crossed"] == "none", normal
        drifted_end = (middle + timedelta(minutes=1)).isoformat()
        assert main([*monitor, "--end", drifted_end]) == 3
        drifted = summary(capsys)
        assert crossed(drifted["skew crossed"]) == DRIFTED, drifted
        assert crossed(drifted["drift crossed"]) == DRIFTED, drifted  # against the normal window
        assert drifted["health crossed"] == "none" and drifted["alert"] == "log sent, file sent"

        # 3. Once per window: scoring it again sends nothing new.
        assert main([*monitor, "--end", drifted_end]) == 3
        assert summary(capsys)["alert"] == "log duplicate, file duplicate"
        alerts = (tmp_path / "meta" / "monitoring" / "alerts.jsonl").read_text().splitlines()
        assert len(alerts) == 1 and json.loads(alerts[0])["key"] == f"monitoring:{MODEL}:1:{drifted_end}"

        # 4 and 5. Retrain on the new data; the challenger wins on it and becomes a 10% canary.
        landed = tmp_path / "landed.parquet"
        pq.write_table(generate(SampleSpec("churn", rows=3000, seed=23, drift=1.0)), landed)
        retrain = [*monitor, "--end", drifted_end, "--retrain", "--set", f"source_uri={landed}"]
        assert main(retrain) == 4
        out = capsys.readouterr().out
        assert f"registered {MODEL}:2: the challenger won" in out, out
        assert main(["--env", str(env), "endpoints", "list"]) == 0
        listed = capsys.readouterr().out
        assert f"{MODEL}:1  90%" in listed and f"{MODEL}:2  10%" in listed, listed

        # The same data again: no better than the new champion, so nothing is registered or deployed.
        assert main(retrain) == 3
        out = capsys.readouterr().out
        assert "the champion stays" in out and f"{MODEL}:3" not in out, out
        assert main(["--env", str(env), "endpoints", "list"]) == 0
        assert f"{MODEL}:2  10%" in capsys.readouterr().out
    finally:
        assert main(["--env", str(env), "undeploy", ENDPOINT]) == 0
