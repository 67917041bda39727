from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from mlops.metrics import (
    CLASSIFICATION_METRICS,
    LOWER_IS_BETTER,
    REGRESSION_METRICS,
    MetricError,
    compute_metrics,
    higher_is_better,
    is_better,
)

Y_TRUE = np.array([0, 0, 1, 1, 1, 0, 1, 0])
Y_SCORE = np.array([0.1, 0.6, 0.8, 0.35, 0.9, 0.2, 0.7, 0.4])
Y_PRED = (Y_SCORE >= 0.5).astype(int)


def test_binary_metrics_match_sklearn_and_hand_values() -> None:
    result = compute_metrics("classification", Y_TRUE, Y_PRED, Y_SCORE, classes=[0, 1])
    assert list(result) == list(CLASSIFICATION_METRICS)
    # predictions: TP = 3 (0.8, 0.9, 0.7), FP = 1 (0.6), FN = 1 (0.35), TN = 3
    assert result["precision"] == pytest.approx(0.75) and result["recall"] == pytest.approx(0.75)
    assert result["accuracy"] == pytest.approx(6 / 8)
    assert result["auc"] == pytest.approx(skm.roc_auc_score(Y_TRUE, Y_SCORE)) == pytest.approx(14 / 16)
    assert result["log_loss"] == pytest.approx(skm.log_loss(Y_TRUE, Y_SCORE))
    assert result["f1"] == pytest.approx(skm.f1_score(Y_TRUE, Y_PRED))


def test_two_column_scores_equal_positive_class_scores() -> None:
    two_columns = np.column_stack([1 - Y_SCORE, Y_SCORE])
    assert compute_metrics("classification", Y_TRUE, Y_PRED, two_columns) == compute_metrics(
        "classification", Y_TRUE, Y_PRED, Y_SCORE
    )


def test_positive_class_is_the_larger_label() -> None:
    truth = np.where(Y_TRUE == 1, "yes", "no").astype(object)  # object arrays, as pandas gives them
    predicted = np.where(Y_PRED == 1, "yes", "no").astype(object)
    result = compute_metrics("classification", truth, predicted, Y_SCORE, classes=["no", "yes"])
    assert result["precision"] == pytest.approx(skm.precision_score(truth, predicted, pos_label="yes"))
    flipped = compute_metrics("classification", 1 - Y_TRUE, 1 - Y_PRED, 1 - Y_SCORE)
    assert flipped["recall"] == pytest.approx(skm.recall_score(1 - Y_TRUE, 1 - Y_PRED, pos_label=1))


def test_multiclass_uses_macro_averages_and_one_vs_rest_auc() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 3, 60)
    proba = rng.dirichlet([1, 1, 1], 60)
    proba[np.arange(60), truth] += 0.5
    proba /= proba.sum(axis=1, keepdims=True)
    predicted = proba.argmax(axis=1)
    result = compute_metrics("classification", truth, predicted, proba, classes=[0, 1, 2])
    assert result["f1"] == pytest.approx(skm.f1_score(truth, predicted, average="macro"))
    assert result["auc"] == pytest.approx(skm.roc_auc_score(truth, proba, multi_class="ovr", average="macro"))
    assert result["log_loss"] == pytest.approx(skm.log_loss(truth, proba))


def test_undefined_auc_is_left_out_and_labels_only_give_no_score_metrics() -> None:
    single = compute_metrics("classification", [1, 1, 1], [1, 0, 1], [0.9, 0.4, 0.8], classes=[0, 1])
    assert "auc" not in single and "log_loss" in single
    assert set(compute_metrics("classification", Y_TRUE, Y_PRED)) == {"precision", "recall", "f1", "accuracy"}


def test_regression_metrics_match_hand_values() -> None:
    result = compute_metrics("regression", [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 6.0])
    assert list(result) == list(REGRESSION_METRICS)
    assert result["rmse"] == pytest.approx(1.0)  # sqrt(4 / 4)
    assert result["mae"] == pytest.approx(0.5)
    assert result["r2"] == pytest.approx(1 - 4 / 5)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ranking", [1], [1]), "problem_type must be one of classification, regression, got 'ranking'"),
        (("regression", [1, 2], [1]), "y_true has 2 rows but y_pred has 1"),
        (("regression", [], []), "0 rows"),
        (("classification", [0, 1], [0, 1], [[0.5, 0.2, 0.3]] * 2, [0, 1]), "shape (rows, 2)"),
        (("classification", [1, 1], [1, 1]), "at least 2 classes"),
    ],
)
def test_bad_input_names_the_problem(args: tuple, message: str) -> None:
    with pytest.raises(MetricError, match=message.replace("(", r"\(").replace(")", r"\)")):
        compute_metrics(*args)


def test_direction_of_every_metric() -> None:
    assert {"log_loss", "rmse", "mae"} == LOWER_IS_BETTER
    assert all(higher_is_better(name) for name in ("auc", "precision", "recall", "f1", "accuracy", "r2"))
    with pytest.raises(MetricError, match="unknown metric 'mse'"):
        higher_is_better("mse")


def test_is_better_respects_direction_margin_and_missing_values() -> None:
    assert is_better("auc", 0.81, 0.80) and not is_better("auc", 0.80, 0.81)
    assert not is_better("auc", 0.80, 0.80), "a tie does not replace the champion"
    assert not is_better("auc", 0.805, 0.80, margin=0.01) and is_better("auc", 0.82, 0.80, margin=0.01)
    assert is_better("rmse", 9.0, 10.0) and not is_better("rmse", 9.5, 10.0, margin=1.0)
    assert is_better("log_loss", 0.3, None), "no champion: the challenger wins"
    assert not is_better("auc", math.nan, 0.5) and is_better("auc", 0.5, math.nan)
    with pytest.raises(MetricError, match="margin must be a number >= 0"):
        is_better("auc", 0.9, 0.8, margin=-0.1)
