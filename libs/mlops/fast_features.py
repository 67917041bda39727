"""The declared feature transforms (mlops.features) compiled to numpy, for serving one row at a time.

`apply_transforms` runs the transforms as DuckDB SQL, which costs milliseconds per call: fine for a
table, too slow for one request. `compile_features` turns the same declarations into one small
function per op over numpy columns, with DuckDB's semantics kept exactly (the parity tests in
libs/mlops/tests/test_predictor.py compare both on the same rows):

- a missing value (None, NaN) gives a missing value, for every op;
- log1p is `ln(1 + x)` where x > -1, else missing; ratio is missing where the denominator is 0;
- bucketize counts the boundaries <= x; clip limits x to [lower, upper];
- hour_of_day, day_of_week (0 = Monday) and month read a timestamp. A timestamp given as text is
  read as the wall-clock time written, with any offset or zone name ignored, because that is what
  DuckDB's `CAST(text AS TIMESTAMP)` does at training time; a timezone-aware datetime (a pandas
  column) is converted to UTC first, as DuckDB does with TIMESTAMP WITH TIME ZONE.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from mlops.features import Bucketize, Clip, ColumnTransform, Ratio, Transform, transforms_spec
from mlops.model_bundle import BundleInfo

# What a raw input column must hold: numbers, category values (text or numbers) or timestamps.
Kind = Literal["number", "category", "timestamp"]
_TIME_OPS = ("hour_of_day", "day_of_week", "month")
# YYYY-MM-DD, optionally a time, then anything DuckDB ignores (Z, +02:00, a zone name).
_TIMESTAMP = re.compile(r"\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d+)?)?)?")
_ZONE = re.compile(r"\s*(?:Z|UTC|[+-]\d{1,2}(?::?\d{2})?|[A-Za-z_]+(?:/[A-Za-z_]+)*)?\s*")


class TimestampError(ValueError):
    """A value is not a timestamp DuckDB would read; the message quotes it."""


@dataclass(frozen=True)
class FeaturePlan:
    """How raw columns become the model's feature columns.

    `inputs` maps each raw column the model reads, in order, to its kind; `compute` takes those
    columns as numpy arrays (float64 for numbers, object otherwise, one entry per row) and returns
    the feature columns, numeric features as float64 with NaN for missing.
    """

    inputs: dict[str, Kind]
    steps: tuple[tuple[str, Callable[[dict[str, np.ndarray]], np.ndarray]], ...]

    def compute(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The feature columns (by name) of the raw `columns`; raw columns not transformed pass through."""
        features = dict(columns)
        for name, step in self.steps:
            features[name] = step(columns)
        return features


def compile_features(info: BundleInfo) -> FeaturePlan:
    """The plan for `info`'s declared transforms; features no transform makes are read as raw columns.

    Raises mlops.features.FeatureError if the declared transforms are invalid.
    """
    transforms = _transforms(info.transforms)
    inputs = _inputs(info.numeric_features, info.categorical_features, transforms)
    steps = tuple((t.name, _step(t)) for t in transforms if t.name in info.features)
    return FeaturePlan(inputs, steps)


def raw_inputs(
    numeric_features: list[str], categorical_features: list[str], transforms: list[dict[str, Any]]
) -> dict[str, Kind]:
    """The raw columns a model with these features and declared transforms reads, with their kinds,
    in the order list instances use: what the server accepts and its request log records.

    Raises mlops.features.FeatureError if the transforms are invalid, ValueError if a column is read
    both as a timestamp and as a number or category.
    """
    return _inputs(numeric_features, categorical_features, _transforms(transforms))


def _inputs(numeric: list[str], categorical: list[str], transforms: list[Transform]) -> dict[str, Kind]:
    made = {transform.name: transform for transform in transforms}
    inputs: dict[str, Kind] = {}
    for feature in [*numeric, *categorical]:
        transform = made.get(feature)
        if transform is None:  # no transform makes it: the raw column is the feature
            _add(inputs, feature, "number" if feature in numeric else "category")
            continue
        for column in transform.inputs():
            _add(inputs, column, _input_kind(transform, feature in numeric))
    return inputs


def _transforms(transforms: list[dict[str, Any]]) -> list[Transform]:
    spec = transforms_spec(transforms)
    return list(spec.transforms) if spec is not None else []


def _add(inputs: dict[str, Kind], column: str, kind: Kind) -> None:
    known = inputs.get(column)
    if known is None or known == kind:
        inputs[column] = kind
    elif {known, kind} == {"number", "category"}:
        inputs[column] = "number"  # numbers are valid category values too
    else:
        raise ValueError(f"column {column!r} is read both as a {known} and as a {kind}")


def _input_kind(transform: Transform, numeric_feature: bool) -> Kind:
    if transform.op in _TIME_OPS:
        return "timestamp"
    if transform.op == "passthrough":
        return "number" if numeric_feature else "category"
    return "number"


def _step(transform: Transform) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    if isinstance(transform, Ratio):
        numerator, denominator = transform.numerator, transform.denominator
        return lambda c: _ratio(c[numerator], c[denominator])
    column = transform.column
    if isinstance(transform, Bucketize):
        boundaries = np.asarray(transform.boundaries, dtype=float)
        return lambda c: _bucketize(c[column], boundaries)
    if isinstance(transform, Clip):
        lower, upper = transform.lower, transform.upper
        return lambda c: _clip(c[column], lower, upper)
    assert isinstance(transform, ColumnTransform)
    if transform.op == "log1p":
        return lambda c: _log1p(c[column])
    if transform.op in _TIME_OPS:
        field = _TIME_FIELDS[transform.op]
        return lambda c: _time_field(c[column], field)
    return lambda c: c[column]


def _floats(values: np.ndarray) -> np.ndarray:
    return values if values.dtype == np.float64 else values.astype(np.float64)


def _log1p(values: np.ndarray) -> np.ndarray:
    x = _floats(values)
    with np.errstate(invalid="ignore"):
        keep = x > -1
    # ln(1 + x) rather than np.log1p: DuckDB computes exactly that, and the model was trained on it.
    return np.log(1 + x, where=keep, out=np.full_like(x, np.nan))


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    n, d = _floats(numerator), _floats(denominator)
    keep = (d != 0) & ~np.isnan(d)
    return np.divide(n, d, where=keep, out=np.full_like(n, np.nan))


def _bucketize(values: np.ndarray, boundaries: np.ndarray) -> np.ndarray:
    x = _floats(values)
    buckets = np.searchsorted(boundaries, x, side="right").astype(np.float64)
    return np.where(np.isnan(x), np.nan, buckets)


def _clip(values: np.ndarray, lower: float | None, upper: float | None) -> np.ndarray:
    x = _floats(values)
    if lower is not None:
        x = np.where(x < lower, lower, x)
    if upper is not None:
        x = np.where(x > upper, upper, x)
    return x


def _hour(moment: datetime) -> int:
    return moment.hour


def _weekday(moment: datetime) -> int:
    return moment.weekday()  # 0 = Monday, like `isodow - 1`


def _month(moment: datetime) -> int:
    return moment.month


_TIME_FIELDS: dict[str, Callable[[datetime], int]] = {"hour_of_day": _hour, "day_of_week": _weekday, "month": _month}


def _time_field(values: np.ndarray, field: Callable[[datetime], int]) -> np.ndarray:
    result = np.empty(len(values), dtype=np.float64)
    for index, value in enumerate(values.tolist()):
        moment = parse_timestamp(value)
        result[index] = np.nan if moment is None else field(moment)
    return result


def parse_timestamp(value: Any) -> datetime | None:
    """A timestamp value as DuckDB's `CAST(value AS TIMESTAMP)` reads it, or None for a missing value.

    Text: `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]` and an ignored offset or zone. A datetime (a
    pandas Timestamp too): as is if naive, in UTC if timezone-aware. Raises TimestampError otherwise.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        if value != value:  # pandas NaT
            return None
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value
    if not isinstance(value, str):
        raise TimestampError(f"expected a timestamp as text, got {type(value).__name__} {value!r}")
    match = _TIMESTAMP.match(value)
    if match is None or not _ZONE.fullmatch(value, match.end()):
        raise TimestampError(f"{value!r} is not a timestamp (YYYY-MM-DD[ HH:MM[:SS]])")
    year, month, day, hour, minute, second = (int(part) if part else 0 for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError as error:
        raise TimestampError(f"{value!r} is not a valid timestamp: {error}") from None
