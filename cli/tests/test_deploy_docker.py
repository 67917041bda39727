"""`mlops deploy --docker`: the real serving image (components/serve:image, built by Pants before the
test) on the local Docker engine, with a registered bundle mounted read-only, called and stopped.
Needs a Docker engine (build-support/ensure-docker.sh)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from mlops.model_bundle import save_bundle
from mlops.registry import LocalModelRegistry
from mlops.testing.bundles import fit_bundle, write_splits
from mlops.testing.docker_images import built_image
from mlops_cli.main import main

ROW = {"tenure_months": 12, "monthly_charges": 70.5, "support_calls": 2, "contract_type": "month-to-month",
       "payment_method": "card", "region": "north"}  # fmt: skip


def test_deploy_docker_serves_the_registered_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    splits = write_splits(tmp_path, "churn", {"train": (300, 1)})
    save_bundle(fit_bundle("churn", splits["train"], "lightgbm"), str(tmp_path / "bundle"))
    LocalModelRegistry(tmp_path / "data" / "registry").register("churn", str(tmp_path / "bundle"), metrics={})
    env = tmp_path / "local.yaml"
    gcp = {"project_id": "local-project", "pipeline_root": str(tmp_path / "root")}
    serving = {"request_logging": {"sampling_rate": 1.0}}  # every request logged
    env.write_text(yaml.safe_dump({"environment": "local", "storage_root": str(tmp_path / "data"), "gcp": gcp,
                                   "serving": serving}))  # fmt: skip
    (tmp_path / "rows.json").write_text(json.dumps([ROW]))
    try:
        assert main(["--env", str(env), "deploy", "churn", "--docker", "--image", built_image("serve")]) == 0
        assert "churn-endpoint (local) [healthy]" in capsys.readouterr().out
        assert main(["--env", str(env), "predict", "churn-endpoint", "--instances", str(tmp_path / "rows.json")]) == 0
        (prediction,) = json.loads(capsys.readouterr().out)["predictions"]
        assert prediction["label"] in (0, 1) and len(prediction["scores"]) == 2
    finally:
        assert main(["--env", str(env), "undeploy", "churn-endpoint"]) == 0
    assert "[stopped]" in capsys.readouterr().out
    # Stopped gracefully, the server wrote its request log to the host's folder, as the caller.
    files = list((tmp_path / "data" / "endpoints" / "local" / "requests" / "churn-endpoint").glob("*.parquet"))
    rows = [row for path in files for row in pq.read_table(path).to_pylist()]
    logged = [(row["status"], row["tenure_months"], row["contract_type"]) for row in rows]
    assert logged == [(200, 12.0, "month-to-month")]
    assert {path.stat().st_uid for path in files} == {os.getuid()}
