"""The records between steps: what is written is read back, and a bad file names itself and the field."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mlops.contracts import ContractError, Decision, Evaluation, Registration

EVALUATION = {"problem_type": "classification", "metrics": {"auc": 0.91, "f1": 0.7}, "rows": 600}
DECISION = {
    "register": False, "metric": "rmse", "higher_is_better": False, "margin": 0.5, "challenger": 3.2,
    "champion": 3.0, "champion_version": "4", "reason": "challenger rmse 3.2 does not beat champion v4",
}  # fmt: skip
REGISTERED = {
    "registered": True, "registry_uri": "gs://b/registry", "model_name": "churn", "version": "2",
    "aliases": ["default"], "labels": {"problem_type": "classification"}, "metrics": {"auc": 0.91},
    "bundle_uri": "gs://b/registry/churn/versions/2/bundle", "created_at": "2026-01-02T03:04:05+00:00",
    "resource_name": None, "description": "no champion",
}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "document"),
    [(Evaluation, EVALUATION), (Decision, DECISION), (Registration, REGISTERED)],
)
def test_round_trip_keeps_the_json_the_pipeline_writes(
    tmp_path: Path, kind: type[Evaluation | Decision | Registration], document: dict
) -> None:
    path = str(tmp_path / "record.json")
    record = kind.from_json(document)
    record.write(path)
    assert json.loads(Path(path).read_text()) == document  # same keys, same values: lineage reads them
    assert kind.read(path) == record


def test_a_registration_that_registered_nothing_says_only_why(tmp_path: Path) -> None:
    skipped = Registration(registered=False, registry_uri="/r", reason="the challenger lost")
    skipped.write(str(tmp_path / "r.json"))
    assert json.loads((tmp_path / "r.json").read_text()) == {
        "registered": False,
        "registry_uri": "/r",
        "reason": "the challenger lost",
    }
    with pytest.raises(ContractError, match="a registered version needs version, bundle_uri"):
        Registration.from_json({"registered": True, "registry_uri": "/r", "model_name": "churn"})


def test_a_nan_score_survives_the_round_trip(tmp_path: Path) -> None:
    path = str(tmp_path / "decision.json")
    Decision.from_json({**DECISION, "challenger": math.nan, "champion": None}).write(path)
    assert math.isnan(Decision.read(path).challenger)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({**EVALUATION, "metrics": {"auc": "0.9"}}, "metrics: metrics must be numbers"),
        ({**EVALUATION, "metrics": {"auc": True}}, "metrics: metrics must be numbers"),
        ({**EVALUATION, "metrics": {}}, "metrics: no metrics"),
        ({**EVALUATION, "problem_type": "ranking"}, "problem_type: Input should be 'classification' or 'regression'"),
        ({**EVALUATION, "rows": 0}, "rows: Input should be greater than or equal to 1"),
        ({**EVALUATION, "auc": 0.9}, r"auc: unknown key \(not part of the contract\)"),
        ({"metrics": {"auc": 0.9}, "rows": 3}, "problem_type: Field required"),
    ],
)
def test_a_bad_evaluation_file_names_the_file_and_the_field(tmp_path: Path, document: dict, message: str) -> None:
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ContractError, match=f"^evaluation {path}: {message}"):
        Evaluation.read(str(path))


def test_a_bad_decision_or_registration_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "decision.json"
    path.write_text(json.dumps({**DECISION, "register": "false"}))  # text must never mean yes or no
    with pytest.raises(ContractError, match=f"^decision {path}: register: Input should be a valid boolean"):
        Decision.read(str(path))
    with pytest.raises(ContractError, match="^decision: margin: Input should be greater than or equal to 0"):
        Decision.from_json({**DECISION, "margin": -1})
    with pytest.raises(ContractError, match="^registration: labels.team: Input should be a valid string"):
        Registration.from_json({**REGISTERED, "labels": {"team": 7}})


def test_missing_and_non_json_files_are_contract_errors(tmp_path: Path) -> None:
    missing = tmp_path / "none.json"
    with pytest.raises(ContractError, match=f"^evaluation: {missing}: no such file"):
        Evaluation.read(str(missing))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(ContractError, match=f"^decision {broken}: not valid JSON"):
        Decision.read(str(broken))
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(ContractError, match=f"^registration {listed}: must hold a JSON object, got list"):
        Registration.read(str(listed))


def test_records_go_through_storage_uris() -> None:
    uri = "memory://contracts/evaluation.json"
    Evaluation.from_json(EVALUATION).write(uri)
    assert Evaluation.read(uri).metrics == EVALUATION["metrics"]
