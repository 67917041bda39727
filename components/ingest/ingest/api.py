"""Ingest's public API for code outside the component (a pipeline's preflight, for one).

Everything else in the package is the component's own business and may change with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from ingest.sources import SourceError, source_relation

__all__ = ["SourceColumns", "SourceError", "preview_columns"]

_PREVIEW_ROWS = 50


@dataclass(frozen=True)
class SourceColumns:
    columns: dict[str, str]  # column name -> DuckDB type, in the source's order
    has_rows: bool


def preview_columns(source: str) -> SourceColumns:
    """The columns and types ingest would read from `source`, from a few rows of it.

    A `sample://` source is generated with at most 50 rows and a BigQuery table is read with
    `LIMIT 50`, so a preview takes seconds at most whatever the table's size. Raises SourceError,
    naming the source, if it cannot be read.
    """
    preview = source
    if source.startswith("sample://"):
        preview = _sample_preview(source)
    elif source.startswith("bq://") and "limit=" not in source:
        preview = f"{source}{'&' if '?' in source else '?'}limit={_PREVIEW_ROWS}"
    connection = duckdb.connect()
    try:
        relation = source_relation(connection, preview)
        described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        has_rows = connection.execute(f"SELECT 1 FROM {relation} LIMIT 1").fetchone() is not None
    except duckdb.Error as error:
        raise SourceError(f"{source}: cannot read source: {str(error).splitlines()[0]}") from None
    finally:
        connection.close()
    return SourceColumns({row[0]: row[1] for row in described}, has_rows)  # column_name, column_type


def _sample_preview(source: str) -> str:
    """The same synthetic source with a few rows: same columns and types, generated in milliseconds."""
    base, _, query = source.partition("?")
    parts = [part for part in query.split("&") if part]
    rows = next((part.removeprefix("rows=") for part in parts if part.startswith("rows=")), str(_PREVIEW_ROWS))
    # Bad values are passed on unchanged, to fail with the message ingest itself gives.
    preview_rows = str(min(int(rows), _PREVIEW_ROWS)) if rows.lstrip("-").isdigit() else rows
    return f"{base}?{'&'.join([*(p for p in parts if not p.startswith('rows=')), f'rows={preview_rows}'])}"
