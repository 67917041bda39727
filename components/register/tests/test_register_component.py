"""The KFP wrappers: called directly, and run as real pipeline steps by kfp.local."""

import json
from pathlib import Path

from kfp import dsl, local
from kfp.dsl import Artifact, Dataset, Model

from mlops.registry import LocalModelRegistry
from register.component import build_components, champion_challenger, register
from register_fixtures import Trained  # pants: no-infer-dep

pytest_plugins = ["register_fixtures"]  # fixtures: see register_fixtures.py


def artifacts(trained: Trained) -> tuple[Model, Dataset, Artifact]:
    return (
        Model(name="model", uri=trained.bundle, metadata={}),
        Dataset(name="test", uri=trained.test, metadata={}),
        Artifact(name="evaluation", uri=trained.evaluation_path, metadata={}),
    )


def test_wrappers_decide_then_register(tmp_path: Path, churn: dict[str, Trained]) -> None:
    root = str(tmp_path / "registry")
    model, test, evaluation = artifacts(churn["good"])
    decision = Artifact(name="decision", uri=str(tmp_path / "decision.json"), metadata={})
    assert champion_challenger(model, test, evaluation, decision, root, "churn", "auc", 0.01) is True
    written = json.loads(Path(decision.path).read_text())
    assert written["register"] and written["champion"] is None and decision.metadata == written
    registered = Artifact(name="registered", uri=str(tmp_path / "registered.json"), metadata={})
    version = register(model, evaluation, decision, registered, root, "churn", {"team": "risk"})
    assert version == "1" and registered.metadata == {"registered": True, "version": "1", "resource_name": None}
    record = json.loads(Path(registered.path).read_text())
    assert record["aliases"] == ["default"] and record["labels"] == {"team": "risk", "problem_type": "classification"}
    poor_model, _, poor_evaluation = artifacts(churn["poor"])
    assert champion_challenger(poor_model, test, poor_evaluation, decision, root, "churn", "auc", 0.0) is False
    assert register(poor_model, poor_evaluation, decision, registered, root, "churn") == ""
    assert json.loads(Path(registered.path).read_text())["registered"] is False


def test_components_run_as_pipeline_steps_with_kfp_local(tmp_path: Path, churn: dict[str, Trained]) -> None:
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    champion_op, register_op = build_components("example.invalid/register:test")
    root = str(tmp_path / "registry")

    @dsl.pipeline(name="champion-then-register")
    def pipeline(model_uri: str, test_uri: str, evaluation_uri: str, margin: float) -> None:
        model = dsl.importer(artifact_uri=model_uri, artifact_class=Model, reimport=True).output
        test = dsl.importer(artifact_uri=test_uri, artifact_class=Dataset, reimport=True).output
        evaluation = dsl.importer(artifact_uri=evaluation_uri, artifact_class=Artifact, reimport=True).output
        decision = champion_op(
            model=model,
            test_data=test,
            evaluation=evaluation,
            registry_uri=root,
            model_name="churn",
            metric="auc",
            margin=margin,
        )
        decision.set_caching_options(False)
        with dsl.If(decision.outputs["Output"] == True):  # noqa: E712 - a KFP condition, not Python
            register_op(
                model=model, evaluation=evaluation, decision=decision.outputs["decision"], registry_uri=root,
                model_name="churn", labels={"env": "test"},
            ).set_caching_options(False)  # fmt: skip

    for quality in ("poor", "good", "poor"):  # poor becomes v1, good beats it (v2), poor then loses
        trained = churn[quality]
        pipeline(model_uri=trained.bundle, test_uri=trained.test, evaluation_uri=trained.evaluation_path, margin=0.01)
    versions = LocalModelRegistry(root).list_versions("churn")
    assert [(v.version, v.aliases, v.metrics["auc"]) for v in versions] == [
        ("1", [], churn["poor"].evaluation["metrics"]["auc"]),
        ("2", ["default"], churn["good"].evaluation["metrics"]["auc"]),
    ]
    assert versions[1].labels == {"env": "test", "problem_type": "classification"}
    assert "beats champion v1 auc 0.500" in str(versions[1].evaluation["decision"]["reason"])  # type: ignore[index]
