"""Scoring a model bundle on labelled rows: the one implementation train, evaluate and
champion/challenger use, so a model's metrics never depend on which step computed them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlops.metrics import compute_metrics
from mlops.model_bundle import BundleError, BundleInfo, ModelBundle, predict, predict_proba

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Scored:
    """Predictions of a model on labelled rows, and the contract's metrics (`mlops.metrics`)."""

    truth: np.ndarray  # the labels, as the model's class values (classification) or floats (regression)
    predicted: np.ndarray  # labels (object array) or values (floats)
    proba: np.ndarray | None  # classification: (rows, classes) in the order of the bundle's classes
    metrics: dict[str, float]


def score(bundle: ModelBundle, frame: pd.DataFrame) -> Scored:
    """Predict `frame`'s rows with `bundle` and compute the metrics against its target column.

    Raises BundleError naming the column for missing or non-numeric features, a non-numeric
    regression target or classes the model was not trained on; MetricError (mlops.metrics) for
    data no metric can be computed on.
    """
    info = bundle.info
    truth = frame[info.target].to_numpy()
    predicted = predict(bundle, frame)
    if info.problem_type == "regression":
        try:
            actual = truth.astype(float)
        except (TypeError, ValueError):
            raise BundleError(f"the regression target must be numeric, got {truth.dtype}") from None
        values = predicted.astype(float)
        return Scored(actual, values, None, compute_metrics("regression", actual, values))
    labels, predicted = as_model_labels(info, truth), predicted.astype(object)
    proba = predict_proba(bundle, frame)
    return Scored(labels, predicted, proba, compute_metrics("classification", labels, predicted, proba, info.classes))


def as_model_labels(info: BundleInfo, truth: np.ndarray) -> np.ndarray:
    """Labels as the model's own class values, matched as text: a label stored as "1" is the class 1.

    Raises BundleError naming the classes the model was not trained on.
    """
    known = {str(label): label for label in info.classes}
    if unseen := sorted({str(label) for label in truth.tolist()} - set(known)):
        raise BundleError(f"target {info.target!r} has class(es) {unseen} the model was not trained on")
    return np.array([known[str(label)] for label in truth.tolist()], dtype=object)
