"""evaluate as a real pipeline step under kfp.local, twice: the second run is served from the cache.

No `from __future__ import annotations` here: KFP reads the pipeline function's real annotations.
"""

import json
from pathlib import Path

from kfp import dsl, local
from kfp.dsl import Dataset, Model

from evaluate.component import build_component as build_evaluate
from mlops.contracts import Evaluation

pytest_plugins = ["evaluate_fixtures"]  # fixtures: see evaluate_fixtures.py


def test_evaluate_pipeline_runs_and_caches(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root), enable_caching=True)
    evaluate_op = build_evaluate("example.invalid/evaluate:test")

    @dsl.pipeline(name="evaluate")
    def pipeline(model_uri: str, test_uri: str) -> float:
        model = dsl.importer(artifact_uri=model_uri, artifact_class=Model)
        test_data = dsl.importer(artifact_uri=test_uri, artifact_class=Dataset)
        evaluated = evaluate_op(model=model.output, test_data=test_data.output)
        return evaluated.outputs["Output"]

    first = pipeline(model_uri=bundles["churn"], test_uri=eval_splits["churn"]["test"])
    assert 0.7 < first.output < 1
    executions = sorted(root.rglob("executor_output.json"))
    assert len(executions) == 1
    evaluation_file = next(p for p in root.rglob("evaluation") if p.is_file())
    evaluation = Evaluation.read(str(evaluation_file))  # the step writes the contract
    assert evaluation.problem_type == "classification" and evaluation.metrics["auc"] == first.output
    assert json.loads(evaluation_file.read_text())["rows"] == 600
    assert "data:image/png;base64," in next(p for p in root.rglob("report") if p.is_file()).read_text()

    second = pipeline(model_uri=bundles["churn"], test_uri=eval_splits["churn"]["test"])
    assert second.output == first.output
    assert sorted(root.rglob("executor_output.json")) == executions, "the task was a cache hit"
