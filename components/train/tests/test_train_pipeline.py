"""train as a real pipeline step under kfp.local, twice: the second run is served from the cache.

(Before, this ran as train -> evaluate in evaluate's tests; a component's tests import no other
component.) No `from __future__ import annotations` here: KFP reads the function's real annotations.
"""

import json
from pathlib import Path
from typing import Any

from kfp import dsl, local
from kfp.dsl import Dataset

from train.component import build_component

pytest_plugins = ["train_fixtures"]  # fixtures: see train_fixtures.py


def test_train_pipeline_runs_and_caches(
    splits: dict[str, dict[str, str]], problems: dict[str, Any], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), enable_caching=True)
    train_op = build_component("example.invalid/train:test")
    churn = problems["churn"]

    @dsl.pipeline(name="train")
    def pipeline(train_uri: str, valid_uri: str) -> float:
        train_data = dsl.importer(artifact_uri=train_uri, artifact_class=Dataset)
        valid_data = dsl.importer(artifact_uri=valid_uri, artifact_class=Dataset)
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
        return trained.outputs["Output"]

    paths = splits["churn"]
    first = pipeline(train_uri=paths["train"], valid_uri=paths["valid"])
    assert 0.6 < first.output < 1
    executions = sorted(root.rglob("executor_output.json"))
    assert len(executions) == 1
    bundle = json.loads(next(root.rglob("bundle.json")).read_text())
    assert bundle["hyperparameters"]["num_leaves"] == 15 and isinstance(bundle["hyperparameters"]["num_leaves"], int)
    assert bundle["code"]["git_commit"] == "abc123" and bundle["validation_metrics"]["auc"] == first.output
    # raw_train_data is optional: without it the baseline is train_data's (the raw columns here).
    baseline = json.loads(next(root.rglob("baseline.json")).read_text())
    assert list(baseline["features"]) == [*churn["numeric_features"], *churn["categorical_features"]]

    second = pipeline(train_uri=paths["train"], valid_uri=paths["valid"])
    assert second.output == first.output
    assert sorted(root.rglob("executor_output.json")) == executions, "the task was a cache hit"
