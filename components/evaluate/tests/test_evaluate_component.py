"""The KFP wrapper, called directly with KFP artifacts."""

import json
from pathlib import Path

import pytest
from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Metrics, Model

from evaluate.component import build_component, evaluate
from evaluate.core import EvaluateError

pytest_plugins = ["evaluate_fixtures"]  # fixtures: see evaluate_fixtures.py


def outputs(folder: Path) -> tuple[Metrics, ClassificationMetrics, HTML, Artifact]:
    return (
        Metrics(name="metrics", uri=str(folder / "metrics"), metadata={}),
        ClassificationMetrics(name="classification_metrics", uri=str(folder / "classification_metrics"), metadata={}),
        HTML(name="report", uri=str(folder / "report.html"), metadata={}),
        Artifact(name="evaluation", uri=str(folder / "evaluation.json"), metadata={}),
    )


def inputs(bundle: str, test: str) -> tuple[Model, Dataset]:
    return Model(name="model", uri=bundle, metadata={}), Dataset(name="test", uri=test, metadata={})


def test_classification_fills_metrics_curves_report_and_evaluation(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    metrics, classification, report, evaluation = outputs(tmp_path)
    auc = evaluate(*inputs(bundles["churn"], eval_splits["churn"]["test"]), metrics, classification, report, evaluation)
    assert set(metrics.metadata) == {"auc", "precision", "recall", "f1", "log_loss", "accuracy"}
    assert auc == metrics.metadata["auc"] and auc > 0.7
    curve = classification.metadata["confidenceMetrics"]
    assert 10 < len(curve) <= 200 and set(curve[0]) == {"falsePositiveRate", "recall", "confidenceThreshold"}
    confusion = classification.metadata["confusionMatrix"]
    assert [spec["displayName"] for spec in confusion["annotationSpecs"]] == ["0", "1"]
    assert sum(sum(row["row"]) for row in confusion["rows"]) == 600
    summary = json.loads(Path(evaluation.path).read_text())
    assert summary == {"problem_type": "classification", "metrics": dict(metrics.metadata), "rows": 600}
    assert evaluation.metadata["rows"] == 600
    assert "data:image/png;base64," in Path(report.path).read_text()
    # Written by the wrapper so that kfp.local can cache the task; their content is the metadata.
    assert json.loads(Path(metrics.path).read_text()) == metrics.metadata
    assert json.loads(Path(classification.path).read_text())["confusionMatrix"] == confusion


def test_regression_leaves_classification_metrics_empty(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    metrics, classification, report, evaluation = outputs(tmp_path)
    rmse = evaluate(
        *inputs(bundles["energy"], eval_splits["energy"]["test"]), metrics, classification, report, evaluation
    )
    assert rmse == metrics.metadata["rmse"] and set(metrics.metadata) == {"rmse", "mae", "r2"}
    assert classification.metadata == {} and json.loads(Path(classification.path).read_text()) == {}
    assert json.loads(Path(evaluation.path).read_text())["problem_type"] == "regression"


def test_bad_input_writes_no_outputs(bundles: dict[str, str], tmp_path: Path) -> None:
    metrics, classification, report, evaluation = outputs(tmp_path / "out")
    with pytest.raises(EvaluateError, match="no such file"):
        evaluate(
            *inputs(bundles["churn"], str(tmp_path / "absent.parquet")), metrics, classification, report, evaluation
        )
    assert not (tmp_path / "out").exists()


def test_build_component_binds_the_image() -> None:
    component = build_component("localhost:5000/vertex-mlops/evaluate:abc")
    assert component.component_spec.implementation.container.image == "localhost:5000/vertex-mlops/evaluate:abc"
    assert set(component.component_spec.outputs) >= {"metrics", "classification_metrics", "report", "evaluation"}
