"""A bundle's fitted scikit-learn pipeline compiled into array operations, for serving.

`Pipeline.predict` on a one-row DataFrame spends most of its time checking and converting its input
(about a millisecond); the arithmetic is microseconds. `compile_model` reads the fitted parameters
once (imputer statistics, scaler means and scales, encoder categories) and applies them to numpy
arrays, then calls the estimator's own model directly: the LightGBM booster with one thread (its
default OpenMP threads make the p99 of a one-row call milliseconds on a busy machine), the random
forest's trees, or the linear model's coefficients. Anything else (another estimator, an encoder
option the compiler does not know) falls back to the fitted object's own method, which is slower
but gives the same numbers. libs/mlops/tests/test_predictor.py checks parity with the pipeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlops.fast_preprocess import compile_preprocess

Scores = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class CompiledModel:
    """Fitted preprocessing and estimator as plain functions of numpy arrays.

    `transform(features)` maps feature columns (by name) to the estimator's input matrix;
    `scores(matrix)` gives class probabilities (rows, classes) or values (rows,).
    `compiled` names the parts that run as array operations ("preprocess", "estimator").
    """

    transform: Callable[[dict[str, np.ndarray]], np.ndarray]
    scores: Scores
    compiled: tuple[str, ...]

    def predict(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """Class probabilities or values for the feature columns `features`."""
        return self.scores(self.transform(features))


def compile_model(pipeline: Any, feature_names: list[str], classification: bool) -> CompiledModel:
    """Compile a bundle's `pipeline` (preprocessing step, then the estimator)."""
    preprocess, estimator = pipeline.steps[0][1], pipeline.steps[-1][1]
    transform = compile_preprocess(preprocess, feature_names)
    compiled: list[str] = []
    if transform is None:
        transform = _fallback_transform(preprocess, feature_names)
    else:
        compiled.append("preprocess")
    scores = _compile_estimator(estimator, classification)
    if scores is None:
        method = estimator.predict_proba if classification else estimator.predict
        scores = lambda matrix: np.asarray(method(matrix), dtype=np.float64)  # noqa: E731
    else:
        compiled.append("estimator")
    return CompiledModel(transform, scores, tuple(compiled))


def _fallback_transform(preprocess: Any, feature_names: list[str]) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    import pandas as pd

    def transform(features: dict[str, np.ndarray]) -> np.ndarray:
        matrix = preprocess.transform(pd.DataFrame({name: features[name] for name in feature_names}))
        return np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=np.float64)

    return transform


def _compile_estimator(estimator: Any, classification: bool) -> Scores | None:
    kind = type(estimator).__name__
    if kind in ("LGBMClassifier", "LGBMRegressor"):
        return _lightgbm(estimator, classification)
    if kind in ("RandomForestClassifier", "RandomForestRegressor"):
        return _forest(estimator, classification)
    if kind in ("LogisticRegression", "Ridge"):
        return _linear(estimator, classification)
    return None


def _lightgbm(estimator: Any, classification: bool) -> Scores | None:
    if callable(getattr(estimator, "objective", None)):
        return None  # a custom objective's raw scores need the wrapper's own transformation
    booster = estimator.booster_
    if booster.pandas_categorical:
        return None  # fitted on pandas categoricals: the wrapper maps them, an array would not
    binary = classification and len(estimator.classes_) == 2

    def scores(matrix: np.ndarray) -> np.ndarray:
        # One thread: the same numbers as the default, without OpenMP's wake-up cost per call.
        raw = np.asarray(booster.predict(matrix, num_threads=1), dtype=np.float64)
        return np.column_stack([1.0 - raw, raw]) if binary else raw

    return scores


def _forest(estimator: Any, classification: bool) -> Scores | None:
    if getattr(estimator, "n_outputs_", 1) != 1:
        return None
    trees = [tree.tree_ for tree in estimator.estimators_]
    count = len(trees)
    classes = len(estimator.classes_) if classification else 0

    def scores(matrix: np.ndarray) -> np.ndarray:
        # What predict_proba / predict do, without the per-call validation and thread pool: trees
        # read float32, and their outputs are summed in the estimators' order, then averaged.
        x = np.ascontiguousarray(matrix, dtype=np.float32)
        total = np.zeros((len(x), classes) if classification else len(x), dtype=np.float64)
        for tree in trees:
            if classification:
                total += tree.predict(x)[:, :classes]
            else:
                total += tree.predict(x).reshape(len(x))
        total /= count
        return total

    return scores


def _linear(estimator: Any, classification: bool) -> Scores | None:
    coef, intercept = np.asarray(estimator.coef_, dtype=np.float64), estimator.intercept_

    def decision(matrix: np.ndarray) -> np.ndarray:
        return matrix @ coef.T + intercept

    if not classification:
        return decision if coef.ndim == 1 else None

    binary = len(estimator.classes_) == 2

    def scores(matrix: np.ndarray) -> np.ndarray:
        values = decision(matrix)
        if binary:  # as LogisticRegression.predict_proba: expit of the one decision value
            positive = 1.0 / (1.0 + np.exp(-values.reshape(len(matrix))))
            return np.column_stack([1.0 - positive, positive])
        values = values - values.max(axis=1, keepdims=True)  # softmax, as scikit-learn computes it
        np.exp(values, out=values)
        return values / values.sum(axis=1, keepdims=True)

    return scores
