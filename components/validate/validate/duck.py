"""DuckDB access shared by schema inference and validation.

A Parquet file is opened as the view `data` of a fresh in-memory connection; DuckDB scans it in
streaming aggregates, so tables of any size are checked without loading them into memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import duckdb

from mlops import storage
from mlops.sql import quote_literal
from validate.errors import ValidateError

Kind = Literal["integer", "float", "boolean", "string", "timestamp"]
KINDS: tuple[Kind, ...] = ("integer", "float", "boolean", "string", "timestamp")
NUMERIC_KINDS = ("integer", "float")

_INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}  # fmt: skip
# Which stored kinds satisfy an expected kind: integers are valid floats, nothing else widens.
ACCEPTED: dict[Kind, set[Kind]] = {
    "integer": {"integer"},
    "float": {"float", "integer"},
    "boolean": {"boolean"},
    "string": {"string"},
    "timestamp": {"timestamp"},
}
# The type a value must cast to, to count as a value of the kind (for examples of wrong values).
CAST_TYPE: dict[Kind, str] = {
    "integer": "BIGINT",
    "float": "DOUBLE",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
}


def kind_of(duckdb_type: str) -> Kind | None:
    """The schema kind of a DuckDB column type, or None for types validate does not check."""
    name = duckdb_type.upper()
    if name in _INTEGER_TYPES:
        return "integer"
    if name in ("FLOAT", "DOUBLE", "REAL") or name.startswith("DECIMAL"):
        return "float"
    if name == "BOOLEAN":
        return "boolean"
    if name == "VARCHAR" or name.startswith("ENUM"):
        return "string"
    if name.startswith("TIMESTAMP") or name == "DATE":
        return "timestamp"
    return None


def float_literal(value: float) -> str:
    return f"CAST({float(value)!r} AS DOUBLE)"


@contextmanager
def open_table(path: str) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, str]]]:
    """A connection with the Parquet file at `path` as view `data`, and its columns (name -> type)."""
    if not storage.exists(path):
        raise ValidateError(f"{path}: Parquet file not found")
    connection = duckdb.connect()
    try:
        if not storage.is_local(path):
            # The same fsspec filesystem as the rest of the code, not DuckDB's downloaded httpfs.
            connection.register_filesystem(storage.filesystem(path)[0])
        try:
            connection.execute(f"CREATE TEMP VIEW data AS SELECT * FROM read_parquet({quote_literal(path)})")
            described = connection.execute("SELECT column_name, column_type FROM (DESCRIBE data)").fetchall()
        except duckdb.Error as error:
            raise ValidateError(f"{path}: cannot read Parquet: {first_line(error)}") from None
        yield connection, {str(name): str(kind) for name, kind in described}
    finally:
        connection.close()


def fetch_one(connection: duckdb.DuckDBPyConnection, query: str, path: str) -> tuple:
    """The single row of an aggregate query; DuckDB errors become ValidateErrors naming `path`."""
    try:
        row = connection.execute(query).fetchone()
    except duckdb.Error as error:
        raise ValidateError(f"{path}: {first_line(error)}") from None
    assert row is not None  # aggregates without GROUP BY always return one row
    return row


def fetch_all(connection: duckdb.DuckDBPyConnection, query: str, path: str) -> list[tuple]:
    try:
        return connection.execute(query).fetchall()
    except duckdb.Error as error:
        raise ValidateError(f"{path}: {first_line(error)}") from None


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
