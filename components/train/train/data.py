"""Reading a training split: only the columns the model needs, with their types checked first."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlops import storage


class DataError(ValueError):
    """A split cannot be used for training. The message names the file and column."""


def _is_category(kind: pa.DataType) -> bool:
    return (
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_integer(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_dictionary(kind)
        or pa.types.is_null(kind)
    )


def _is_number(kind: pa.DataType) -> bool:
    return (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_null(kind)
    )


def read_schema(path: str) -> pa.Schema:
    """The Parquet schema of `path`, or a DataError naming the file."""
    fs, inner = storage.filesystem(path)
    try:
        return pq.read_schema(inner, filesystem=fs)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except (OSError, pa.ArrowException) as error:
        raise DataError(f"{path}: cannot read as Parquet: {error}") from None


def check_columns(
    path: str,
    schema: pa.Schema,
    numeric: Sequence[str],
    categorical: Sequence[str],
    target: str,
    problem_type: str,
) -> None:
    """Every needed column exists and has a usable type; otherwise a DataError naming file and column."""
    needed = [*numeric, *categorical, target]
    missing = [name for name in needed if name not in schema.names]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; columns are: {', '.join(schema.names)}")
    expectations = [(name, _is_number, "a number") for name in numeric]
    expectations += [(name, _is_category, "a string, integer or boolean category") for name in categorical]
    if problem_type == "classification":
        expectations.append((target, _is_category, "a class label (string, integer or boolean)"))
    else:
        expectations.append((target, _is_number, "a number"))
    for name, accepts, description in expectations:
        kind = schema.field(name).type
        if not accepts(kind):
            role = "target" if name == target else "numeric feature" if name in numeric else "categorical feature"
            raise DataError(f"{path}: {role} column {name!r} has type {kind}; expected {description}")


def read_split(
    path: str,
    numeric: Sequence[str],
    categorical: Sequence[str],
    target: str,
    problem_type: str,
) -> pd.DataFrame:
    """The feature and target columns of the Parquet file at `path`, checked: non-empty, target never null."""
    schema = read_schema(path)
    check_columns(path, schema, numeric, categorical, target, problem_type)
    fs, inner = storage.filesystem(path)
    try:
        table = pq.read_table(inner, filesystem=fs, columns=[*numeric, *categorical, target])
    except (OSError, pa.ArrowException) as error:
        raise DataError(f"{path}: cannot read as Parquet: {error}") from None
    if table.num_rows == 0:
        raise DataError(f"{path}: table is empty (0 rows)")
    nulls = table.column(target).null_count
    if nulls:
        raise DataError(f"{path}: target column {target!r} has {nulls} null value(s) of {table.num_rows}")
    return table.to_pandas()


def fingerprint(path: str) -> str:
    """`sha256:<hex>` of the file's bytes: the identity of the data a model was trained on."""
    fs, inner = storage.filesystem(path)
    digest = hashlib.sha256()
    with fs.open(inner, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"
