"""Model metrics with the names and directions of the training-pipeline contract.

Classification: `auc`, `precision`, `recall`, `f1`, `log_loss`, `accuracy`. For a binary problem the
positive class is the larger label (the last of the sorted classes); multi-class scores are macro
averages and the AUC is one-vs-rest. Regression: `rmse`, `mae`, `r2`.

Lower is better for `log_loss`, `rmse` and `mae`; higher for the rest. Every step that compares two
models (evaluate, champion/challenger, the registry) goes through `is_better`, so the direction of a
metric is decided in exactly one place.

This module is also the pipeline's one vocabulary: the problem types, the model types and which
metrics apply to which problem. Config, train, evaluate and register all import it from here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # imported where metrics are computed: the vocabulary is read by every CLI start
    import numpy as np

# The Literal types are for pydantic models and mypy; the tuples for checks and messages.
ProblemType = Literal["classification", "regression"]
ModelType = Literal["lightgbm", "random_forest", "linear"]
PROBLEM_TYPES: tuple[str, ...] = get_args(ProblemType)
MODEL_TYPES: tuple[str, ...] = get_args(ModelType)
CLASSIFICATION_METRICS = ("auc", "precision", "recall", "f1", "log_loss", "accuracy")
REGRESSION_METRICS = ("rmse", "mae", "r2")
METRICS_BY_PROBLEM: dict[str, tuple[str, ...]] = {
    "classification": CLASSIFICATION_METRICS,
    "regression": REGRESSION_METRICS,
}
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})
HIGHER_IS_BETTER = frozenset({"auc", "precision", "recall", "f1", "accuracy", "r2"})
PRIMARY_METRIC = {"classification": "auc", "regression": "rmse"}


class MetricError(ValueError):
    """A metric name, problem type or input shape is not valid. The message names it."""


def higher_is_better(metric: str) -> bool:
    """Whether a larger value of `metric` means a better model."""
    if metric in HIGHER_IS_BETTER:
        return True
    if metric in LOWER_IS_BETTER:
        return False
    known = ", ".join(sorted(HIGHER_IS_BETTER | LOWER_IS_BETTER))
    raise MetricError(f"unknown metric {metric!r}; known metrics are: {known}")


def is_better(metric: str, challenger: float, champion: float | None, margin: float = 0.0) -> bool:
    """True when `challenger` beats `champion` on `metric` by more than `margin` (absolute units).

    No champion (None) means any finite challenger wins; a NaN challenger never wins; a NaN champion
    is beaten by any finite challenger.
    """
    higher = higher_is_better(metric)
    if margin < 0 or math.isnan(margin):
        raise MetricError(f"margin must be a number >= 0, got {margin}")
    if challenger is None or math.isnan(challenger):
        return False
    if champion is None or math.isnan(champion):
        return True
    return challenger > champion + margin if higher else challenger < champion - margin


def compute_metrics(
    problem_type: str,
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    y_score: Sequence[Any] | np.ndarray | None = None,
    classes: Sequence[Any] | None = None,
) -> dict[str, float]:
    """The contract's metrics for one set of predictions.

    Args:
        problem_type: "classification" or "regression".
        y_true, y_pred: true and predicted labels (classification) or values (regression).
        y_score: classification only: class probabilities, shape (n, k) in the order of `classes`;
            for a binary problem a 1-D array of the positive (larger) class's probability is accepted.
            Without it `auc` and `log_loss` are left out.
        classes: classification only: every class label, in the order of `y_score`'s columns
            (default: the sorted labels seen in y_true and y_pred).

    Returns:
        metric name -> value as a Python float. A metric that is undefined on this data (the AUC
        when y_true holds a single class) is left out rather than reported as NaN.
    """
    import numpy as np

    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    if truth.shape[0] != predicted.shape[0]:
        raise MetricError(f"y_true has {truth.shape[0]} rows but y_pred has {predicted.shape[0]}")
    if truth.shape[0] == 0:
        raise MetricError("cannot compute metrics on 0 rows")
    if problem_type == "regression":
        return _regression(truth.astype(float), predicted.astype(float))
    if problem_type == "classification":
        # Object arrays (e.g. pandas columns) hold Python scalars that sklearn cannot type: re-infer.
        truth, predicted = np.asarray(truth.tolist()), np.asarray(predicted.tolist())
        labels = list(classes) if classes is not None else sorted(set(truth.tolist()) | set(predicted.tolist()))
        return _classification(truth, predicted, None if y_score is None else np.asarray(y_score, float), labels)
    raise MetricError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {problem_type!r}")


def _regression(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    import numpy as np
    from sklearn import metrics as skm  # here: callers that only compare scores skip its ~2 s import

    result = {
        "rmse": float(np.sqrt(skm.mean_squared_error(truth, predicted))),
        "mae": float(skm.mean_absolute_error(truth, predicted)),
    }
    if truth.shape[0] >= 2:
        result["r2"] = float(skm.r2_score(truth, predicted))
    return result


def _classification(
    truth: np.ndarray, predicted: np.ndarray, score: np.ndarray | None, labels: list[Any]
) -> dict[str, float]:
    from sklearn import metrics as skm  # as in _regression

    if len(labels) < 2:
        raise MetricError(f"classification needs at least 2 classes, got {labels}")
    binary = len(labels) == 2
    average: dict[str, Any] = {"average": "binary", "pos_label": labels[-1]} if binary else {"average": "macro"}
    result = {
        "precision": float(skm.precision_score(truth, predicted, labels=labels, zero_division=0, **average)),
        "recall": float(skm.recall_score(truth, predicted, labels=labels, zero_division=0, **average)),
        "f1": float(skm.f1_score(truth, predicted, labels=labels, zero_division=0, **average)),
        "accuracy": float(skm.accuracy_score(truth, predicted)),
    }
    if score is None:
        return result
    proba = _probabilities(score, len(labels))
    result["log_loss"] = float(skm.log_loss(truth, proba, labels=labels))
    present = set(truth.tolist())
    if binary and len(present) == 2:
        result["auc"] = float(skm.roc_auc_score(truth == labels[-1], proba[:, 1]))
    elif not binary and present == set(labels):
        result["auc"] = float(skm.roc_auc_score(truth, proba, multi_class="ovr", average="macro", labels=labels))
    return dict(sorted(result.items(), key=lambda item: CLASSIFICATION_METRICS.index(item[0])))


def _probabilities(score: np.ndarray, n_classes: int) -> np.ndarray:
    import numpy as np

    if score.ndim == 1 and n_classes == 2:
        return np.column_stack([1 - score, score])
    if score.ndim != 2 or score.shape[1] != n_classes:
        raise MetricError(f"y_score must have shape (rows, {n_classes}) for {n_classes} classes, got {score.shape}")
    return score
