from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluate.cli import main

pytest_plugins = ["evaluate_fixtures"]  # fixtures: see evaluate_fixtures.py


def test_cli_prints_metrics_and_writes_the_report(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, output = tmp_path / "report.html", tmp_path / "evaluation.json"
    argv = [bundles["energy"], eval_splits["energy"]["test"], "--report", str(report), "--output", str(output)]
    assert main([*argv, "--log-format", "text"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["problem_type"] == "regression" and printed["rows"] == 600 and printed["metrics"]["r2"] > 0.6
    assert json.loads(output.read_text()) == printed
    assert report.read_text().count("data:image/png;base64,") == 2


def test_cli_reports_bad_input_without_a_traceback(
    bundles: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "no-model"), str(tmp_path / "test.parquet"), "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert "evaluate: error:" in err and "no-model: not a model bundle" in err and "Traceback" not in err
