"""train -> evaluate as a real pipeline under kfp.local, twice: the second run is served from the cache.

No `from __future__ import annotations` here: KFP reads the pipeline function's real annotations.
"""

import json
from pathlib import Path
from typing import Any

from kfp import dsl, local
from kfp.dsl import Dataset

from evaluate.component import build_component as build_evaluate
from train.component import build_component as build_train

pytest_plugins = ["evaluate_fixtures"]  # fixtures: see evaluate_fixtures.py


def test_train_then_evaluate_pipeline_runs_and_caches(
    eval_splits: dict[str, dict[str, str]], eval_problems: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), enable_caching=True)
    train_op, evaluate_op = build_train("example.invalid/train:test"), build_evaluate("example.invalid/evaluate:test")
    churn = eval_problems["churn"]

    @dsl.pipeline(name="train-evaluate")
    def pipeline(train_uri: str, valid_uri: str, test_uri: str) -> float:
        train_data = dsl.importer(artifact_uri=train_uri, artifact_class=Dataset)
        valid_data = dsl.importer(artifact_uri=valid_uri, artifact_class=Dataset)
        test_data = dsl.importer(artifact_uri=test_uri, artifact_class=Dataset)
        trained = train_op(
            train_data=train_data.output,
            valid_data=valid_data.output,
            target=churn["target"],
            problem_type=churn["problem_type"],
            numeric_features=churn["numeric_features"],
            categorical_features=churn["categorical_features"],
            hyperparameters={"n_estimators": 30, "num_leaves": 15},  # arrive as floats: restored to ints
            git_commit="abc123",
        )
        evaluated = evaluate_op(model=trained.outputs["model"], test_data=test_data.output)
        return evaluated.outputs["Output"]

    paths = eval_splits["churn"]
    first = pipeline(train_uri=paths["train"], valid_uri=paths["valid"], test_uri=paths["test"])
    assert 0.7 < first.output < 1
    executions = sorted(root.rglob("executor_output.json"))
    assert len(executions) == 2
    bundle = json.loads(next(root.rglob("bundle.json")).read_text())
    assert bundle["hyperparameters"]["num_leaves"] == 15 and isinstance(bundle["hyperparameters"]["num_leaves"], int)
    assert bundle["code"]["git_commit"] == "abc123"
    evaluation = json.loads(next(p for p in root.rglob("evaluation") if p.is_file()).read_text())
    assert evaluation["problem_type"] == "classification" and evaluation["metrics"]["auc"] == first.output
    assert "data:image/png;base64," in next(p for p in root.rglob("report") if p.is_file()).read_text()

    second = pipeline(train_uri=paths["train"], valid_uri=paths["valid"], test_uri=paths["test"])
    assert second.output == first.output
    assert sorted(root.rglob("executor_output.json")) == executions, "both tasks were cache hits"
