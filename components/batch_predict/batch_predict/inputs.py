"""The table batch prediction reads, opened and checked before anything is predicted or written.

A source is CSV or Parquet file(s), local or gs:// (`mlops.file_tables`, the reader ingest uses).
It is checked up front, as ingest checks CSVs: every column the model reads is present, CSV rows
all parse (`mlops.csv_files.check_csv`), and a column that must hold numbers (or times) but is
text is scanned whole for values that do not read as one, naming the column, the count and an
example. Then `stream` reads only the needed columns in Arrow record batches, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from mlops.csv_files import CsvError, CsvOptions, check_csv
from mlops.file_tables import TableFileError, file_relation
from mlops.sql import quote_identifier

# DuckDB type names (DESCRIBE) that hold numbers, or points in time, as they are.
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UTINYINT",
            "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")  # fmt: skip
_TIMES = ("TIMESTAMP", "DATE")
_CAST = {"numeric": "DOUBLE", "timestamp": "TIMESTAMP"}


class InputError(Exception):
    """The input table cannot be predicted on. The message names the source and the column."""


@dataclass(frozen=True)
class InputTable:
    """A checked source: what to select from it, and how many rows it has."""

    uri: str
    relation: str  # SQL table expression
    select: str  # the SELECT list: the needed columns, text that must be numbers cast to them
    rows: int


def open_input(
    connection: duckdb.DuckDBPyConnection,
    uri: str,
    needed: Mapping[str, str],
    key_columns: Sequence[str] = (),
    csv: CsvOptions | None = None,
) -> InputTable:
    """Open and check `uri`; `needed` maps each column the model reads to its kind (chunks.input_columns).

    Raises InputError naming the source and every missing column, or the first column whose values
    are not of the kind needed.
    """
    if uri.startswith("bq://"):
        raise InputError(f"{uri}: BigQuery sources are not supported yet; export the table to Parquet (docs)")
    try:
        relation = file_relation(connection, uri, csv)
        rows = check_csv(connection, uri, relation, csv or CsvOptions()).rows if "read_csv(" in relation else None
        types = {row[0]: row[1] for row in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}
        if rows is None:
            ((rows,),) = connection.execute(f"SELECT count(*) FROM {relation}").fetchall()
    except (TableFileError, CsvError) as error:
        raise InputError(str(error)) from None
    except duckdb.Error as error:
        raise InputError(f"{uri}: cannot read: {str(error).splitlines()[0]}") from None
    if missing := [name for name in dict.fromkeys([*key_columns, *needed]) if name not in types]:
        raise InputError(
            f"{uri}: missing column(s) {', '.join(missing)}; the model reads {', '.join(needed)}"
            f"{'; key columns are ' + ', '.join(key_columns) if key_columns else ''}; "
            f"the source has {', '.join(types)}"
        )
    if not rows:
        raise InputError(f"{uri}: has no rows to predict")
    select = []
    for name in dict.fromkeys([*key_columns, *needed]):
        kind, column = needed.get(name, "any"), quote_identifier(name)
        if kind == "any" or types[name].startswith(_NUMERIC if kind == "numeric" else _TIMES):
            select.append(column)
            continue
        if not types[name].startswith("VARCHAR"):
            raise InputError(f"{uri}: column {name!r} is {types[name]}, but the model needs {_words(kind)}")
        _scan_text(connection, uri, relation, name, kind)
        # Every value read as one (checked above): cast, so the features see the training-time type.
        select.append(f"CAST(NULLIF(trim({column}), '') AS {_CAST[kind]}) AS {column}")
    return InputTable(uri, relation, ", ".join(select), int(rows))


def stream(connection: duckdb.DuckDBPyConnection, table: InputTable, chunk_rows: int) -> Iterator[pa.RecordBatch]:
    """The needed columns of `table` in record batches of at most `chunk_rows` rows, in the source's order."""
    reader = connection.sql(f"SELECT {table.select} FROM {table.relation}").fetch_arrow_reader(chunk_rows)
    try:
        yield from reader
    except (duckdb.Error, pa.ArrowException) as error:
        raise InputError(f"{table.uri}: cannot read: {str(error).splitlines()[0]}") from None


def _scan_text(connection: duckdb.DuckDBPyConnection, uri: str, relation: str, name: str, kind: str) -> None:
    """Raise InputError if any non-empty value of the text column `name` does not read as `kind`."""
    value = f"trim({quote_identifier(name)})"
    bad = f"FROM {relation} WHERE {value} <> '' AND TRY_CAST({value} AS {_CAST[kind]}) IS NULL"
    ((count, example),) = connection.execute(f"SELECT count(*), any_value({value}) {bad}").fetchall()
    if count:
        raise InputError(f"{uri}: column {name!r} must hold {_words(kind)}; got {example!r} ({count} rows)")


def _words(kind: str) -> str:
    return "numbers" if kind == "numeric" else "timestamps"
