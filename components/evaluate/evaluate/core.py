"""Evaluate: score a model bundle on the test split with the contract's metrics (mlops.metrics).

The record later steps read is `mlops.contracts.Evaluation`. Besides the scalar metrics it prepares
what the Vertex console and the HTML report draw: the ROC curve and confusion matrix for
classification, residual statistics and a sample of predicted vs actual values for regression.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import confusion_matrix, roc_curve
from sklearn.preprocessing import label_binarize

from mlops import storage
from mlops.contracts import Evaluation
from mlops.metrics import PRIMARY_METRIC, MetricError, ProblemType
from mlops.model_bundle import BundleError, BundleInfo, load_bundle
from mlops.scoring import Scored, score

MAX_CURVE_POINTS = 200
MAX_SCATTER_POINTS = 2000


class EvaluateError(Exception):
    """Bad input to evaluate. The message names the model folder, file, column or value at fault."""


@dataclass
class EvaluationResult:
    """The result of scoring a model on one split: the record, plus what the report draws."""

    problem_type: ProblemType
    metrics: dict[str, float]
    rows: int
    roc: dict[str, list[float]] | None = None  # fpr, tpr, thresholds (classification)
    confusion: dict[str, Any] | None = None  # labels (text), matrix (counts; rows = true, columns = predicted)
    residuals: dict[str, float] | None = None  # regression: mean, std, quantiles of actual - predicted
    sample: dict[str, list[float]] = field(default_factory=dict)  # regression: actual / predicted, for plots
    info: BundleInfo | None = None  # the evaluated model's description

    def primary_metric(self) -> float:
        """AUC (classification) or RMSE (regression); NaN when undefined on this split."""
        return float(self.metrics.get(PRIMARY_METRIC[self.problem_type], float("nan")))

    def record(self) -> Evaluation:
        """The record later steps read (mlops.contracts.Evaluation)."""
        return Evaluation(problem_type=self.problem_type, metrics=self.metrics, rows=self.rows)

    def summary(self) -> dict[str, Any]:
        """The record as JSON: `{"problem_type", "metrics", "rows"}`."""
        return self.record().to_json()


def evaluate_model(bundle_uri: str, test_path: str) -> EvaluationResult:
    """Score the bundle in `bundle_uri` on the Parquet file `test_path`.

    The evaluation's `info` is the bundle's description (for the report). Raises EvaluateError
    naming the folder, file or column for a missing/corrupt bundle, a missing column, a wrong type
    or an empty table.
    """
    try:
        bundle = load_bundle(bundle_uri)
    except BundleError as error:
        raise EvaluateError(str(error)) from None
    info = bundle.info
    frame = _read_test(test_path, [*info.features, info.target])
    try:
        scored = score(bundle, frame)
    except (BundleError, MetricError) as error:
        raise EvaluateError(f"{test_path}: {error}") from None
    evaluation = _regression(scored) if info.problem_type == "regression" else _classification(scored, info.classes)
    evaluation.info = info
    return evaluation


def _read_test(path: str, columns: list[str]) -> Any:
    fs, inner = storage.filesystem(path)
    try:
        names = pq.read_schema(inner, filesystem=fs).names
        if missing := [name for name in columns if name not in names]:
            raise EvaluateError(f"{path}: missing column(s) {missing}; columns are: {', '.join(names)}")
        table = pq.read_table(inner, filesystem=fs, columns=columns)
    except FileNotFoundError:
        raise EvaluateError(f"{path}: no such file") from None
    except (OSError, pa.ArrowException) as error:
        raise EvaluateError(f"{path}: cannot read as Parquet: {error}") from None
    if table.num_rows == 0:
        raise EvaluateError(f"{path}: table is empty (0 rows)")
    target = columns[-1]
    if nulls := table.column(target).null_count:
        raise EvaluateError(f"{path}: target column {target!r} has {nulls} null value(s) of {table.num_rows}")
    return table.to_pandas()


def _regression(scored: Scored) -> EvaluationResult:
    actual, predicted = scored.truth, scored.predicted
    residual = actual - predicted
    quantiles = np.quantile(residual, [0.05, 0.5, 0.95])
    keep = _spread(len(actual), MAX_SCATTER_POINTS)
    return EvaluationResult(
        problem_type="regression",
        metrics=scored.metrics,
        rows=len(actual),
        residuals={
            "mean": float(residual.mean()),
            "std": float(residual.std()),
            "p05": float(quantiles[0]),
            "median": float(quantiles[1]),
            "p95": float(quantiles[2]),
            "max_abs": float(np.abs(residual).max()),
        },
        sample={"actual": actual[keep].tolist(), "predicted": predicted[keep].tolist()},
    )


def _classification(scored: Scored, classes: list[Any]) -> EvaluationResult:
    truth, predicted, proba = scored.truth, scored.predicted, scored.proba
    assert proba is not None  # scoring a classification model always predicts probabilities
    if len(classes) == 2:
        positive, score_ = truth == classes[-1], proba[:, 1]
    else:  # micro-averaged one-vs-rest curve
        positive, score_ = label_binarize(truth, classes=classes).ravel().astype(bool), proba.ravel()
    matrix = confusion_matrix(truth.astype(str), predicted.astype(str), labels=[str(label) for label in classes])
    return EvaluationResult(
        problem_type="classification",
        metrics=scored.metrics,
        rows=len(truth),
        roc=roc_points(positive, score_) if 0 < positive.sum() < len(positive) else None,
        confusion={"labels": [str(label) for label in classes], "matrix": matrix.tolist()},
    )


def write_json(path: str, data: Any) -> None:
    """Write `data` as indented JSON to `path` (local path or URI), atomically."""
    storage.write_text(path, json.dumps(data, indent=2) + "\n")


def roc_points(positive: np.ndarray, score: np.ndarray, limit: int = MAX_CURVE_POINTS) -> dict[str, list[float]]:
    """The ROC curve as at most `limit` points, first and last kept; thresholds capped at 1."""
    fpr, tpr, thresholds = roc_curve(positive, score)
    keep = _spread(len(fpr), limit)
    return {
        "fpr": fpr[keep].tolist(),
        "tpr": tpr[keep].tolist(),
        "thresholds": np.minimum(thresholds[keep], 1.0).tolist(),  # the first threshold is +inf
    }


def _spread(count: int, limit: int) -> np.ndarray:
    """`limit` evenly spread indices of `count` items (all of them when there are fewer)."""
    if count <= limit:
        return np.arange(count)
    return np.unique(np.linspace(0, count - 1, limit).round().astype(int))
