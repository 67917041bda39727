"""Ingest's public API for code outside the component (a pipeline's preflight, for one).

Everything else in the package is the component's own business and may change with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from ingest.sources import SourceError, open_source
from mlops.csv_files import CsvError, CsvOptions
from mlops.sql import quote_identifier

__all__ = ["CsvOptions", "NonNumeric", "SourceColumns", "SourceError", "non_numeric_values", "preview_columns"]

_PREVIEW_ROWS = 50


@dataclass(frozen=True)
class SourceColumns:
    columns: dict[str, str]  # column name -> DuckDB type, in the source's order
    has_rows: bool
    skipped_rows: int = 0  # unparsable CSV rows that ingest will drop (csv bad_rows: skip)


@dataclass(frozen=True)
class NonNumeric:
    """The values of a text column that are not numbers: how many, and the first few."""

    count: int
    examples: list[tuple[int, str]]  # (row number, counting the first row after any header as 1; value)


def preview_columns(source: str, csv: CsvOptions | None = None, drop_columns: Sequence[str] = ()) -> SourceColumns:
    """The columns and types ingest would read from `source`, from a few rows of it.

    A `sample://` source is generated with at most 50 rows and a BigQuery table is read with
    `LIMIT 50`, so a preview takes seconds at most whatever the table's size. A CSV file is parsed
    whole with `csv`'s options, as ingest parses it, so a bad row fails here. Columns are named and
    `drop_columns` left out as ingest does. Raises SourceError, naming the source (and the line, or
    a dropped column that does not exist), if it cannot be read.
    """
    preview = _preview_uri(source)
    connection = duckdb.connect()
    try:
        opened = open_source(connection, preview, csv=csv, drop_columns=drop_columns)
        described = connection.execute(f"DESCRIBE SELECT * FROM {opened.relation}").fetchall()
        has_rows = connection.execute(f"SELECT 1 FROM {opened.relation} LIMIT 1").fetchone() is not None
    except duckdb.Error as error:
        raise SourceError(f"{source}: cannot read source: {str(error).splitlines()[0]}") from None
    finally:
        connection.close()
    # DESCRIBE rows are column_name, column_type, ...
    return SourceColumns({row[0]: row[1] for row in described}, has_rows, opened.skipped_rows)


def non_numeric_values(source: str, column: str, csv: CsvOptions | None = None, examples: int = 3) -> NonNumeric:
    """The non-empty values of `column` that do not read as numbers (the rows a numeric feature
    cannot use), counted over the whole file or the preview of a sample or BigQuery source."""
    connection = duckdb.connect()
    # One thread: rows are numbered in the file's order.
    connection.execute("SET threads = 1")
    try:
        opened = open_source(connection, _preview_uri(source), csv=csv)
        numbered = f"SELECT row_number() OVER () AS row, CAST({quote_identifier(column)} AS VARCHAR) AS value"
        bad = f"{numbered} FROM {opened.relation} QUALIFY trim(value) <> '' AND TRY_CAST(value AS DOUBLE) IS NULL"
        (count,) = connection.execute(f"SELECT count(*) FROM ({bad})").fetchone() or (0,)
        rows = connection.execute(f"SELECT row, value FROM ({bad}) ORDER BY row LIMIT {int(examples)}").fetchall()
    except (duckdb.Error, CsvError) as error:
        raise SourceError(f"{source}: cannot read source: {str(error).splitlines()[0]}") from None
    finally:
        connection.close()
    return NonNumeric(int(count), [(int(row), str(text)) for row, text in rows])


def _preview_uri(source: str) -> str:
    """`source`, or for a sample or BigQuery source the same with at most 50 rows."""
    if source.startswith("sample://"):
        return _sample_preview(source)
    if source.startswith("bq://") and "limit=" not in source:
        return f"{source}{'&' if '?' in source else '?'}limit={_PREVIEW_ROWS}"
    return source


def _sample_preview(source: str) -> str:
    """The same synthetic source with a few rows: same columns and types, generated in milliseconds."""
    base, _, query = source.partition("?")
    parts = [part for part in query.split("&") if part]
    rows = next((part.removeprefix("rows=") for part in parts if part.startswith("rows=")), str(_PREVIEW_ROWS))
    # Bad values are passed on unchanged, to fail with the message ingest itself gives.
    preview_rows = str(min(int(rows), _PREVIEW_ROWS)) if rows.lstrip("-").isdigit() else rows
    return f"{base}?{'&'.join([*(p for p in parts if not p.startswith('rows=')), f'rows={preview_rows}'])}"
