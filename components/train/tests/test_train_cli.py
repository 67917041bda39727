from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.model_bundle import load_bundle
from mlops.monitoring.baseline import load_baseline
from train.cli import main, parse_params

pytest_plugins = ["train_fixtures"]  # fixtures: see train_fixtures.py


def test_cli_trains_and_prints_a_summary(
    splits: dict[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    churn = splits["churn"]
    argv = [churn["train"], churn["valid"], str(tmp_path / "model"), "--target", "churned"]
    argv += ["--problem-type", "classification", "--numeric", "tenure_months,monthly_charges,support_calls"]
    argv += ["--categorical", "contract_type, region", "--model-type", "random_forest", "--log-format", "text"]
    argv += ["--param", "n_estimators=25", "--param", "max_features=sqrt", "--git-commit", "abc123"]
    argv += ["--baseline-from", churn["train"], "--numeric-bins", "5"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == {"train": 1500, "valid": 400} and summary["validation_metrics"]["auc"] > 0.6
    bundle = load_bundle(str(tmp_path / "model"))
    assert bundle.info.categorical_features == ["contract_type", "region"]
    assert bundle.info.hyperparameters["n_estimators"] == 25 and bundle.info.hyperparameters["max_features"] == "sqrt"
    assert bundle.info.code["git_commit"] == "abc123"
    baseline = load_baseline(str(tmp_path / "model"))
    assert list(baseline.features) == ["tenure_months", "monthly_charges", "support_calls", "contract_type", "region"]
    assert baseline.numeric_bins == 5 and baseline.top_categories == 50 and baseline.rows == 1500


def test_cli_reports_bad_input_without_a_traceback(
    splits: dict[str, dict[str, str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    churn = splits["churn"]
    argv = [churn["train"], churn["valid"], str(tmp_path / "model"), "--target", "churned", "--problem-type"]
    argv += ["classification", "--numeric", "tenure_months,no_such_column", "--log-format", "text"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "train: error:" in err and "missing column(s) ['no_such_column']" in err and "Traceback" not in err
    assert not (tmp_path / "model").exists()


def test_params_are_parsed_as_json_values_or_text() -> None:
    assert parse_params(["a=1", "b=0.5", "c=true", "d=gbdt", "e=null"]) == {
        "a": 1,
        "b": 0.5,
        "c": True,
        "d": "gbdt",
        "e": None,
    }
    with pytest.raises(ValueError, match="--param must be NAME=VALUE, got 'oops'"):
        parse_params(["oops"])
