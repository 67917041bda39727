"""Counting rows per bucket in DuckDB: every feature of a table in one pass, on a baseline's bins.

One aggregate query holds one `histogram(bucket)` per feature (plus the row count), so DuckDB
reads each needed column once, in parallel and in bounded memory, and no table is ever loaded into
Python: what comes back is a few counts per feature. The bucket of a value is a SQL CASE over the
baseline's edges or categories (see mlops.monitoring.baseline for the bins rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from mlops import storage
from mlops.file_tables import TableFileError, file_relation
from mlops.sql import quote_identifier, quote_literal

if TYPE_CHECKING:
    from mlops.monitoring.baseline import FeatureBaseline

_NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL")
_UNSIGNED_TYPES = ("UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE")
SAMPLE_SEED = 20261203  # fixed, so a sampled window gives the same counts every time it is scored


class MonitoringError(Exception):
    """Bad input to monitoring: the message names the file, feature or value at fault."""


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection for monitoring queries (no progress bar: they run in steps and tests)."""
    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    return connection


def open_source(
    connection: duckdb.DuckDBPyConnection, source: str | duckdb.DuckDBPyRelation
) -> tuple[duckdb.DuckDBPyRelation, str]:
    """A relation over `source` (Parquet file or folder, or a relation) and a label for messages."""
    if isinstance(source, duckdb.DuckDBPyRelation):
        return source, "the given relation"
    try:
        return connection.sql(f"SELECT * FROM {_table(connection, str(source))}"), str(source)
    except TableFileError as error:
        raise MonitoringError(str(error)) from None
    except duckdb.Error as error:
        raise MonitoringError(f"{source}: cannot read: {str(error).splitlines()[0]}") from None


def _table(connection: duckdb.DuckDBPyConnection, uri: str) -> str:
    """The table expression of `uri`: a Parquet file even without a suffix (a KFP artifact's path,
    e.g. ingest's `.../train_data`), else what `file_relation` reads (a .parquet file or a folder)."""
    try:
        fs, path = storage.filesystem(uri)
        plain_file = PurePosixPath(path).suffix == "" and fs.isfile(path)
    except (storage.StorageError, OSError):
        plain_file = False  # file_relation names the problem
    if not plain_file:
        return file_relation(connection, uri)
    if not storage.is_local(uri):  # through fsspec, like file_relation, not DuckDB's httpfs
        connection.register_filesystem(fs)
    return f"read_parquet({quote_literal(uri)})"


def column_type(relation: duckdb.DuckDBPyRelation, label: str, name: str) -> str:
    """The DuckDB type of column `name`; MonitoringError naming the table if there is none."""
    types = {column: str(kind) for column, kind in zip(relation.columns, relation.types, strict=True)}
    if name not in types:
        raise MonitoringError(f"{label}: no column for feature {name!r}; the columns are {sorted(types)}")
    return types[name]


def numeric_value(relation: duckdb.DuckDBPyRelation, label: str, name: str) -> str:
    """SQL for the feature as a DOUBLE (integer and float columns alike); refuses non-numbers."""
    kind = column_type(relation, label, name)
    if not kind.startswith(_NUMBER_TYPES + _UNSIGNED_TYPES):
        raise MonitoringError(f"{label}: numeric feature {name!r} is a {kind} column, not numbers")
    return f"CAST({quote_identifier(name)} AS DOUBLE)"


def category_value(relation: duckdb.DuckDBPyRelation, label: str, name: str) -> str:
    """SQL for the feature as text; a whole float is written as an integer (1.0 -> '1'), NaN is null."""
    column, kind = quote_identifier(name), column_type(relation, label, name)
    if kind in _FLOAT_TYPES:
        # Serving may send 1.0 where training had 1: both must land in the category "1".
        return (
            f"CASE WHEN isnan({column}) THEN NULL WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
            f"THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) ELSE CAST({column} AS VARCHAR) END"
        )
    return f"CAST({column} AS VARCHAR)"


def bucket_expression(feature: FeatureBaseline, value: str) -> str:
    """SQL giving the bucket index (0-based, the baseline's order) of `value` (see bucket_labels)."""
    if feature.kind == "numeric":
        null, top = len(feature.edges) + 1, len(feature.edges)
        # The edge as its repr cast to DOUBLE, so the test compares two doubles and the edge is the
        # stored double exactly (a bare literal such as 0.30000000000000004 is typed DECIMAL).
        tests = [
            f"WHEN {value} <= CAST({quote_literal(repr(edge))} AS DOUBLE) THEN {i}"
            for i, edge in enumerate(feature.edges)
        ]
        return f"CASE WHEN {value} IS NULL OR isnan({value}) THEN {null} {' '.join(tests)} ELSE {top} END"
    null, other = len(feature.categories) + 1, len(feature.categories)
    tests = [f"WHEN {quote_literal(category)} THEN {i}" for i, category in enumerate(feature.categories)]
    return f"CASE WHEN {value} IS NULL THEN {null} ELSE (CASE {value} {' '.join(tests)} ELSE {other} END) END"


def count_buckets(
    relation: duckdb.DuckDBPyRelation,
    label: str,
    features: Mapping[str, FeatureBaseline],
    sampling_rate: float = 1.0,
) -> tuple[int, dict[str, np.ndarray]]:
    """The rows of `relation` and, per feature, its count per bucket, in one aggregate query.

    `sampling_rate` < 1 scores a Bernoulli sample of the rows (seeded: repeatable).
    """
    if not 0 < sampling_rate <= 1:
        raise MonitoringError(f"sampling_rate must be in (0, 1], got {sampling_rate}")
    values = {
        name: (numeric_value if feature.kind == "numeric" else category_value)(relation, label, name)
        for name, feature in features.items()
    }
    if sampling_rate < 1:
        sampled = relation.query(
            "scored", f"SELECT * FROM scored USING SAMPLE {sampling_rate * 100!r} PERCENT (bernoulli, {SAMPLE_SEED})"
        )
        assert sampled is not None  # a SELECT always gives a relation
        relation = sampled
    aggregates = [f"histogram({bucket_expression(feature, values[name])})" for name, feature in features.items()]
    try:
        row = relation.aggregate(", ".join(["count(*)", *aggregates])).fetchall()[0]
    except duckdb.Error as error:
        raise MonitoringError(f"{label}: cannot count buckets: {str(error).splitlines()[0]}") from None
    assert row is not None  # an aggregate without GROUP BY always returns one row
    counts = {}
    for (name, feature), histogram in zip(features.items(), row[1:], strict=True):
        vector = np.zeros(feature.bucket_count, dtype=np.int64)
        for bucket, count in (histogram or {}).items():
            vector[bucket] = count
        counts[name] = vector
    return int(row[0]), counts
