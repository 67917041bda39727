"""Request rows checked and turned into columns: the input side of mlops.predictor.

Every problem is an `InstanceError` naming the instance (its index in the request) and the field,
so a server can answer the client precisely instead of failing somewhere inside the model.
A value may be null (a missing value, which the model handles); a field that is absent is an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops.fast_features import Kind, TimestampError, parse_timestamp

if TYPE_CHECKING:
    import pandas as pd

_EXPECTED = {"number": "a number", "category": "text or a number", "timestamp": "a timestamp as text"}


class InstanceError(ValueError):
    """A bad instance (or request). `index` is the instance's position, `field` the column, when known."""

    def __init__(self, message: str, index: int | None = None, field: str | None = None) -> None:
        where = " ".join(part for part in (_index(index), _field(field)) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.message, self.index, self.field = message, index, field


def _index(index: int | None) -> str:
    return "" if index is None else f"instance {index}"


def _field(field: str | None) -> str:
    return "" if field is None else f"field {field!r}"


def check_value(value: Any, kind: Kind, index: int | None, field: str) -> Any:
    """`value` as the column of `kind` holds it (float, category value or datetime; None if missing)."""
    if value is None:
        return math.nan if kind == "number" else None
    if kind == "timestamp":
        try:
            return parse_timestamp(value)
        except TimestampError as error:
            raise InstanceError(str(error), index, field) from None
    if isinstance(value, bool) or not isinstance(value, int | float | str if kind == "category" else int | float):
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
        raise InstanceError(f"expected {_EXPECTED[kind]}, got {type(value).__name__} {shown}", index, field)
    if kind == "number":
        try:
            return float(value)
        except OverflowError:
            raise InstanceError(f"the number {value} is too large", index, field) from None
    return value


def columns_of_instances(instances: Any, columns: Sequence[str], kinds: Mapping[str, Kind]) -> dict[str, np.ndarray]:
    """The request's instances (objects or lists in `columns` order) as one array per column."""
    if not isinstance(instances, list):
        raise InstanceError(f"`instances` must be a list, got {type(instances).__name__}")
    if not instances:
        raise InstanceError("`instances` is empty: send at least one instance")
    values: dict[str, list[Any]] = {column: [] for column in columns}
    for index, instance in enumerate(instances):
        if isinstance(instance, dict):
            if len(instance) != len(columns) or any(column not in instance for column in columns):
                _missing_or_extra(instance, columns, index)
            row = [instance[column] for column in columns]
        elif isinstance(instance, list):
            if len(instance) != len(columns):
                message = f"expected {len(columns)} values in the order {list(columns)}, got {len(instance)}"
                raise InstanceError(message, index)
            row = instance
        else:
            raise InstanceError(f"expected an object or a list, got {type(instance).__name__}", index)
        for column, value in zip(columns, row, strict=True):
            values[column].append(check_value(value, kinds[column], index, column))
    return {column: _array(values[column], kinds[column]) for column in columns}


def _missing_or_extra(instance: dict[str, Any], columns: Sequence[str], index: int) -> None:
    if missing := [column for column in columns if column not in instance]:
        raise InstanceError(f"missing; the model needs {list(columns)}", index, missing[0])
    extra = next(key for key in instance if key not in columns)
    raise InstanceError(f"unknown field; the model reads {list(columns)}", index, str(extra))


def _array(values: list[Any], kind: Kind) -> np.ndarray:
    if kind == "number":
        return np.array(values, dtype=np.float64)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def columns_of_frame(frame: pd.DataFrame, columns: Sequence[str], kinds: Mapping[str, Kind]) -> dict[str, np.ndarray]:
    """The input columns of `frame` as arrays; InstanceError names a missing column or the row of a bad value."""
    import pandas as pd

    if missing := [column for column in columns if column not in frame.columns]:
        raise InstanceError(f"missing column(s) {missing}; the model needs {list(columns)}", field=missing[0])
    result = {}
    for column in columns:
        series, kind = frame[column], kinds[column]
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if kind == "number" and numeric:
            result[column] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        plain = series.astype(object).where(series.notna(), None).tolist()
        checked = [check_value(value, kind, index, column) for index, value in enumerate(plain)]
        result[column] = _array(checked, kind)
    return result
