"""Predictions for one chunk of raw input rows: the one place batch prediction turns rows into predictions.

`predict_chunk(bundle, rows)` applies the bundle's declared transforms (`mlops.features`, the SQL the
features step ran at training time), takes the model's features (`mlops.model_bundle.feature_frame`)
and predicts. Keep it the only such function: a faster predictor (e.g. a shared `predict_frame`)
replaces this one body. `input_columns` says which raw columns, of which kind, the bundle reads, so
the input can be checked before anything is predicted or written.
"""

from __future__ import annotations

from typing import Any, Literal

import duckdb
import numpy as np
import pyarrow as pa

from mlops.features import FeatureError, FeatureSpec, apply_transforms, connect, transforms_spec
from mlops.model_bundle import BundleError, BundleInfo, ModelBundle, feature_frame

ColumnKind = Literal["numeric", "timestamp", "any"]
PREDICTION = "prediction"
PROBABILITY_PREFIX = "probability_"
_NUMERIC_OPS = {"log1p", "ratio", "bucketize", "clip"}
_TIME_OPS = {"hour_of_day", "day_of_week", "month"}
# Classifiers whose predict() is the class of highest predict_proba() (LightGBM's calls predict_proba
# and takes the argmax; scikit-learn's forest, logistic regression and dummy compute the same):
# the label is taken from the probabilities, which saves a second pass over LightGBM's trees.
_ARGMAX_CLASSIFIERS = {"LGBMClassifier", "RandomForestClassifier", "LogisticRegression", "DummyClassifier"}


class ChunkError(Exception):
    """The rows cannot be scored by this bundle. The message names the column."""


def bundle_spec(info: BundleInfo) -> FeatureSpec | None:
    """The bundle's declared transforms as a FeatureSpec, or None if it was trained on raw columns."""
    try:
        return transforms_spec(info.transforms)
    except FeatureError as error:
        raise ChunkError(str(error)) from None


def input_columns(info: BundleInfo) -> dict[str, ColumnKind]:
    """The raw input columns the bundle reads, each with what it must hold (numbers, times, anything)."""
    spec = bundle_spec(info)
    if spec is None:
        return {**{name: "numeric" for name in info.numeric_features}, **{n: "any" for n in info.categorical_features}}
    kinds: dict[str, ColumnKind] = {}
    for transform in spec.transforms:
        for column in transform.inputs():
            numeric_passthrough = transform.op == "passthrough" and transform.name in info.numeric_features
            if transform.op in _NUMERIC_OPS or numeric_passthrough:
                kind: ColumnKind = "numeric"
            else:
                kind = "timestamp" if transform.op in _TIME_OPS else "any"
            # A column read both as a number and as anything else must be a number.
            kinds[column] = kind if kinds.get(column, "any") == "any" else kinds[column]
    return kinds


def prediction_columns(info: BundleInfo) -> list[str]:
    """The names of the columns `predict_chunk` returns, in order."""
    return [PREDICTION, *(f"{PROBABILITY_PREFIX}{label}" for label in info.classes)]


def predict_chunk(
    bundle: ModelBundle, rows: pa.RecordBatch | pa.Table, connection: duckdb.DuckDBPyConnection | None = None
) -> pa.Table:
    """The predictions for `rows` (raw input columns), one row per input row in order.

    Columns (`prediction_columns`): `prediction` (label or value), and for classification one
    `probability_<class>` per class. `connection` (made with `mlops.features.connect`) is reused
    across chunks when given. Raises ChunkError naming a missing or non-numeric column.
    """
    frame = _features(bundle.info, rows, connection)
    try:
        features = feature_frame(bundle.info, frame)
    except BundleError as error:
        raise ChunkError(str(error)) from None
    transformed, estimator = features, bundle.pipeline
    if hasattr(estimator, "steps"):
        # A fitted sklearn Pipeline is transformed once for both outputs: exactly what its predict and
        # predict_proba do, without running the preprocessing (the slow part on categories) twice.
        transformed, estimator = estimator[:-1].transform(features), estimator[-1]
    if bundle.info.problem_type != "classification":
        return pa.table({PREDICTION: np.asarray(estimator.predict(transformed))})
    probabilities = np.asarray(estimator.predict_proba(transformed), dtype=float)
    if type(estimator).__name__ in _ARGMAX_CLASSIFIERS:
        labels = np.asarray(estimator.classes_)[np.argmax(probabilities, axis=1)]
    else:
        labels = np.asarray(estimator.predict(transformed))
    columns: dict[str, Any] = {PREDICTION: labels}
    for index, name in enumerate(prediction_columns(bundle.info)[1:]):
        columns[name] = probabilities[:, index]
    return pa.table(columns)


def _features(info: BundleInfo, rows: pa.RecordBatch | pa.Table, connection: duckdb.DuckDBPyConnection | None) -> Any:
    """The chunk as a pandas DataFrame of the model's features (transforms applied, if it has any)."""
    spec = bundle_spec(info)
    if spec is None:
        return rows.to_pandas()
    own = connection is None
    connection = connection or connect()
    try:
        # DuckDB keeps the input's row order in a projection (preserve_insertion_order, the default).
        return apply_transforms(connection.from_arrow(rows), spec).df()
    except (duckdb.Error, FeatureError) as error:
        raise ChunkError(f"cannot compute the model's features: {str(error).splitlines()[0]}") from None
    finally:
        if own:
            connection.close()
