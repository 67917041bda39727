"""register_model: what gets registered (local and Vertex AI), and what is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlops.contracts import Decision
from mlops.registry import LocalModelRegistry
from mlops.testing.fake_vertex import FakeVertex
from register.core import RegisterError, register_model, registration_record
from register_fixtures import Trained  # pants: no-infer-dep

pytest_plugins = ["register_fixtures"]  # fixtures: see register_fixtures.py

# Decisions as champion/challenger writes them: every key of mlops.contracts.Decision.
WIN = {
    "register": True, "metric": "auc", "higher_is_better": True, "margin": 0.0, "challenger": 0.9, "champion": None,
    "champion_version": None, "reason": "no champion: 'churn' has no default version yet",
}  # fmt: skip
LOSS = {**WIN, "register": False, "champion": 0.95, "reason": "challenger auc 0.9 does not beat champion v1"}


def test_a_winner_becomes_the_new_default_with_metrics_labels_and_evaluation(
    tmp_path: Path, churn: dict[str, Trained]
) -> None:
    root = str(tmp_path / "registry")
    first = register_model(churn["poor"].bundle, churn["poor"].evaluation, WIN, root, "churn", {"team": "risk"})
    second = register_model(churn["good"].bundle, churn["good"].evaluation, WIN, root, "churn")
    assert first is not None and second is not None
    assert (second.version, second.aliases) == ("2", ["default"])
    assert LocalModelRegistry(root).get_version("churn", "1").aliases == []
    assert first.labels == {"team": "risk", "problem_type": "classification"}
    assert second.metrics == churn["good"].evaluation["metrics"] and second.description == WIN["reason"]
    assert second.evaluation == {**churn["good"].evaluation, "decision": WIN}
    assert (Path(second.bundle_uri) / "model.joblib").read_bytes() == (
        Path(churn["good"].bundle) / "model.joblib"
    ).read_bytes()
    record = registration_record(second, root, Decision.model_validate(WIN)).to_json()
    assert record["registered"] and record["version"] == "2" and "evaluation" not in record


def test_a_loser_is_not_registered(tmp_path: Path, churn: dict[str, Trained]) -> None:
    root = tmp_path / "registry"
    assert register_model(churn["poor"].bundle, churn["poor"].evaluation, LOSS, str(root), "churn") is None
    assert not root.exists()
    assert registration_record(None, str(root), Decision.model_validate(LOSS)).to_json() == {
        "registered": False,
        "registry_uri": str(root),
        "reason": LOSS["reason"],
    }


@pytest.mark.parametrize(
    ("evaluation", "decision", "message"),
    [
        ({"problem_type": "classification", "rows": 9}, WIN, r"evaluation: metrics: Field required"),
        (
            {"problem_type": "classification", "metrics": {}, "rows": 9},
            WIN,
            "evaluation: metrics: no metrics: a model is registered only after it passes evaluation",
        ),
        ({"metrics": {"auc": 0.9}, "rows": 9}, WIN, "evaluation: problem_type: Field required"),
        ({"problem_type": "classification", "metrics": {"auc": "0.9"}, "rows": 9}, WIN, "metrics must be numbers"),
        (
            {"problem_type": "regression", "metrics": {"rmse": 1.0}, "rows": 9},
            WIN,
            "bundle is a classification model but the evaluation is regression",
        ),
        (
            {"problem_type": "classification", "metrics": {"auc": 0.9}, "rows": 9},
            {"reason": "x"},
            "decision: register: Field required",
        ),
        (
            {"problem_type": "classification", "metrics": {"auc": 0.9}, "rows": 9},
            {**WIN, "register": "yes"},
            "decision: register: Input should be a valid boolean",
        ),
    ],
)
def test_refusals_register_nothing(
    tmp_path: Path, churn: dict[str, Trained], evaluation: dict[str, Any], decision: dict[str, Any], message: str
) -> None:
    root = tmp_path / "registry"
    with pytest.raises(RegisterError, match=message):
        register_model(churn["good"].bundle, evaluation, decision, str(root), "churn")
    assert not root.exists()


def test_registry_and_bundle_problems_are_register_errors(tmp_path: Path, churn: dict[str, Trained]) -> None:
    good = churn["good"]
    with pytest.raises(RegisterError, match="registry .*label key 'Team' is not valid"):
        register_model(good.bundle, good.evaluation, WIN, str(tmp_path / "r"), "churn", {"Team": "x"})
    with pytest.raises(RegisterError, match="model: .*missing: not a model bundle"):
        register_model(str(tmp_path / "missing"), good.evaluation, WIN, str(tmp_path / "r"), "churn")
    with pytest.raises(RegisterError, match="registry vertex://p/l: .*a serving image is needed"):
        register_model(good.bundle, good.evaluation, WIN, "vertex://p/l", "churn")


def test_registering_on_vertex_ai_through_the_sdk(churn: dict[str, Trained]) -> None:
    good = churn["good"]
    with FakeVertex() as fake:
        fake.init_sdk(project="my-project", location="europe-west4")
        version = register_model(
            "gs://bucket/runs/7/model", good.evaluation, WIN, "vertex://my-project/europe-west4", "churn",
            {"env": "dev"}, "europe-docker.pkg.dev/my-project/serving/model:abc", bundle_path=good.bundle,
        )  # fmt: skip
        (upload,) = fake.requests_to("POST", "models:upload")
        (imported,) = fake.requests_to("POST", "evaluations:import")
    assert version is not None and (version.version, version.aliases) == ("1", ["default"])
    assert version.resource_name is not None and version.resource_name.endswith("@1")
    assert upload.body["model"]["artifactUri"] == "gs://bucket/runs/7/model"
    assert upload.body["model"]["labels"] == {"env": "dev", "problem_type": "classification"}
    assert upload.body["model"]["containerSpec"]["imageUri"] == "europe-docker.pkg.dev/my-project/serving/model:abc"
    evaluation = imported.body["modelEvaluation"]
    assert evaluation["metrics"]["auRoc"] == pytest.approx(good.evaluation["metrics"]["auc"])
    assert evaluation["metadata"]["evaluation"]["decision"] == WIN
    assert version.metrics == pytest.approx(good.evaluation["metrics"])
