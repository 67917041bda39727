"""A fitted `ColumnTransformer` (a bundle's preprocessing step) compiled into numpy operations.

Supported pieces, which are what train (components/train/train/estimators.py) and
mlops.testing.bundles fit: "passthrough" and "drop"; pipelines of `SimpleImputer` (any strategy,
missing values NaN, no indicator), `StandardScaler`, `FunctionTransformer(categorical_as_text)`,
`OrdinalEncoder` (unknown categories encoded) and `OneHotEncoder` (unknown categories ignored, no
dropped or infrequent categories). For anything else `compile_preprocess` returns None and the
caller uses the fitted object itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mlops.model_bundle import categorical_as_text

Block = Callable[[np.ndarray], np.ndarray]
Transform = Callable[[dict[str, np.ndarray]], np.ndarray]


def compile_preprocess(preprocess: Any, feature_names: list[str]) -> Transform | None:
    """A function from feature columns (name -> 1-D array) to the estimator's input matrix, or None."""
    if type(preprocess).__name__ != "ColumnTransformer" or not hasattr(preprocess, "transformers_"):
        return None
    parts: list[tuple[list[str], Block]] = []
    for _, transformer, columns in preprocess.transformers_:
        if isinstance(transformer, str) and transformer == "drop":
            continue
        if isinstance(columns, slice) or np.asarray(columns).dtype == bool:
            return None  # column selections by slice or mask: left to the fitted object
        names = [feature_names[c] if isinstance(c, int | np.integer) else c for c in np.atleast_1d(columns)]
        if not names:
            continue
        if not all(isinstance(name, str) and name in feature_names for name in names):
            return None
        block = _compile_transformer(transformer)
        if block is None:
            return None
        parts.append((names, block))

    def transform(features: dict[str, np.ndarray]) -> np.ndarray:
        blocks = [block(_stack([features[name] for name in names])) for names, block in parts]
        return blocks[0] if len(blocks) == 1 else np.hstack(blocks)

    return transform


def _stack(columns: list[np.ndarray]) -> np.ndarray:
    if all(column.dtype == np.float64 for column in columns):
        return np.column_stack(columns)
    matrix = np.empty((len(columns[0]), len(columns)), dtype=object)
    for index, column in enumerate(columns):
        matrix[:, index] = column
    return matrix


def _compile_transformer(transformer: Any) -> Block | None:
    if isinstance(transformer, str):
        return _as_floats if transformer == "passthrough" else None
    steps = [step for _, step in transformer.steps] if type(transformer).__name__ == "Pipeline" else [transformer]
    blocks = [_compile_step(step) for step in steps]
    if any(block is None for block in blocks):
        return None
    if blocks[-1] is _as_text:
        return None  # the last step must give numbers
    compiled: list[Block] = [block for block in blocks if block is not None]

    def apply(matrix: np.ndarray) -> np.ndarray:
        for block in compiled:
            matrix = block(matrix)
        return _as_floats(matrix)

    return apply


def _compile_step(step: Any) -> Block | None:
    kind = type(step).__name__
    if kind == "SimpleImputer":
        return _imputer(step)
    if kind == "StandardScaler":
        return _scaler(step)
    if kind == "FunctionTransformer" and not step.kw_args and not step.validate:
        # A fitted "passthrough" is a FunctionTransformer without a function: the identity.
        return _identity if step.func is None else _as_text if step.func is categorical_as_text else None
    if kind in ("OrdinalEncoder", "OneHotEncoder"):
        return _encoder(step, one_hot=kind == "OneHotEncoder")
    return None


def _identity(matrix: np.ndarray) -> np.ndarray:
    return matrix


def _as_floats(matrix: np.ndarray) -> np.ndarray:
    return matrix if matrix.dtype == np.float64 else matrix.astype(np.float64)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _as_text(matrix: np.ndarray) -> np.ndarray:
    """categorical_as_text, element by element: 1, 1.0 and "1" all become "1"; missing stays NaN."""
    result = np.empty(matrix.shape, dtype=object)
    for index, value in np.ndenumerate(matrix):
        if isinstance(value, float | np.floating):
            whole = not math.isnan(value) and float(value).is_integer()
            result[index] = np.nan if math.isnan(value) else str(int(value)) if whole else str(value)
        else:
            result[index] = np.nan if value is None else str(value)
    return result


def _imputer(imputer: Any) -> Block | None:
    missing = imputer.missing_values
    if imputer.add_indicator or not (isinstance(missing, float) and math.isnan(missing)):
        return None
    statistics = imputer.statistics_
    if statistics.dtype.kind == "f" and np.isnan(statistics).any() and not imputer.keep_empty_features:
        return None  # scikit-learn drops columns it saw empty: not reproduced here
    if statistics.dtype.kind != "O":
        fill = statistics.astype(np.float64)
        return lambda matrix: np.where(np.isnan(_as_floats(matrix)), fill, _as_floats(matrix))
    values = statistics.tolist()

    def impute(matrix: np.ndarray) -> np.ndarray:
        result = matrix.copy()
        for (row, column), value in np.ndenumerate(matrix):
            if _missing(value):
                result[row, column] = values[column]
        return result

    return impute


def _scaler(scaler: Any) -> Block:
    mean = scaler.mean_ if scaler.with_mean else None
    scale = scaler.scale_ if scaler.with_std else None

    def apply(matrix: np.ndarray) -> np.ndarray:
        result = _as_floats(matrix)
        if mean is not None:
            result = result - mean
        if scale is not None:
            result = result / scale
        return result

    return apply


def _encoder(encoder: Any, one_hot: bool) -> Block | None:
    if getattr(encoder, "_infrequent_enabled", False):
        return None
    lookups = [{value: index for index, value in enumerate(column.tolist())} for column in encoder.categories_]
    if one_hot:
        if encoder.handle_unknown not in ("ignore", "infrequent_if_exist") or encoder.drop_idx_ is not None:
            return None
        offsets = np.cumsum([0] + [len(lookup) for lookup in lookups]).tolist()

        def one_hot_encode(matrix: np.ndarray) -> np.ndarray:
            result = np.zeros((matrix.shape[0], offsets[-1]), dtype=np.float64)
            for (row, column), value in np.ndenumerate(matrix):
                index = lookups[column].get(value)
                if index is not None:  # an unknown category is all zeros
                    result[row, offsets[column] + index] = 1.0
            return result

        return one_hot_encode
    if encoder.handle_unknown != "use_encoded_value":
        return None
    unknown, missing = float(encoder.unknown_value), float(encoder.encoded_missing_value)

    def ordinal_encode(matrix: np.ndarray) -> np.ndarray:
        result = np.empty(matrix.shape, dtype=np.float64)
        for (row, column), value in np.ndenumerate(matrix):
            result[row, column] = missing if _missing(value) else lookups[column].get(value, unknown)
        return result

    return ordinal_encode
