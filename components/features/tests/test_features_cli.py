from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import yaml

from features.cli import main

pytest_plugins = ["features_fixtures"]  # fixtures: see features_fixtures.py


def test_cli_reads_a_yaml_spec_and_writes_training_sets(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(churn_spec))
    args = [str(tmp_path / "spec.yaml"), "--output-dir", str(tmp_path / "out"), "--label", "churned"]
    args += ["--store", str(tmp_path / "store"), "--view", "churn", "--log-format", "text"]
    args += [f"--split={split}={path}" for split, path in splits.items()]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["features"][0] == "log_tenure" and summary["feature_rows"] == 600
    assert pq.read_table(tmp_path / "out" / "test.parquet").num_rows == summary["rows"]["test"]


def test_cli_reports_bad_input_without_a_traceback(
    splits: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "spec.yaml").write_text("entity_column: entity_id\ntimestamp_column: event_timestamp\ntransforms: []\n")
    args = [str(tmp_path / "spec.yaml"), "--output-dir", str(tmp_path), "--label", "churned", "--store", str(tmp_path)]
    assert main([*args, "--view", "churn", "--split", f"train={splits['train']}", "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert (
        "features: error: " in err
        and "spec.yaml: 1 problem(s)" in err
        and "transforms: List should have at least 1" in err
    )
    assert "Traceback" not in err


def test_cli_rejects_unknown_split_names(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "spec.yaml",
                "--output-dir",
                str(tmp_path),
                "--label",
                "y",
                "--store",
                "s",
                "--view",
                "v",
                "--split",
                "x=1",
            ]
        )
    assert exit_info.value.code == 2
