"""The command line: the same steps by hand, JSON out, `register: error: ...` and exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from register.cli import main
from register_fixtures import Trained, write_json  # pants: no-infer-dep

pytest_plugins = ["register_fixtures"]  # fixtures: see register_fixtures.py


def test_champion_register_and_versions(
    tmp_path: Path, churn: dict[str, Trained], capsys: pytest.CaptureFixture[str]
) -> None:
    good, root = churn["good"], str(tmp_path / "registry")
    common = ["--registry", root, "--model-name", "churn"]
    decision_path = str(tmp_path / "decision.json")
    args = ["champion", good.bundle, good.test, good.evaluation_path, "--metric", "f1", "--output", decision_path]
    assert main(["--log-format", "text", *args, *common]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert (
        decision["register"] and decision["metric"] == "f1" and json.loads(Path(decision_path).read_text()) == decision
    )
    register_args = ["register", good.bundle, "--evaluation", good.evaluation_path, "--decision", decision_path]
    assert main(["--log-format", "text", *register_args, "--label", "team=risk", *common]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["registered"] and record["version"] == "1" and record["labels"]["team"] == "risk"
    assert main(["--log-format", "text", "versions", *common]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["aliases"] == ["default"] and listed["bundle_uri"].startswith(root)


def test_expected_errors_exit_2_without_a_traceback(
    tmp_path: Path, churn: dict[str, Trained], capsys: pytest.CaptureFixture[str]
) -> None:
    good = churn["good"]
    no_metrics = write_json(tmp_path / "evaluation.json", {"problem_type": "classification"})
    decision = write_json(tmp_path / "decision.json", {"register": True})
    args = [
        "register",
        good.bundle,
        "--evaluation",
        no_metrics,
        "--decision",
        decision,
        "--registry",
        str(tmp_path),
        "--model-name",
        "churn",
    ]
    assert main(["--log-format", "text", *args]) == 2
    err = capsys.readouterr().err
    assert f"register: error: evaluation {no_metrics}: metrics: Field required" in err and "Traceback" not in err
    champion = [
        "champion",
        good.bundle,
        good.test,
        good.evaluation_path,
        "--metric",
        "auc",
        "--registry",
        "vertex://p",
        "--model-name",
        "x",
    ]
    assert main(["--log-format", "text", *champion]) == 2
    assert (
        "register: error: registry_uri: vertex://p: a Vertex AI registry URI is vertex://PROJECT/LOCATION"
        in capsys.readouterr().err
    )
    assert main(["--log-format", "text", "versions", "--registry", str(tmp_path), "--model-name", "bad name"]) == 2
    assert "model name 'bad name' is not valid" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main([*args[:-4], "--label", "no-equals", *args[-4:]])
    assert exit_info.value.code == 2 and "--label must be KEY=VALUE" in capsys.readouterr().err
