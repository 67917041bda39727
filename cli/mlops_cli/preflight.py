"""Checks a pipeline config against its data source before anything runs.

Bad input fails here, in seconds, with one message naming the source and the column, instead of
minutes later inside a pipeline step; and a run that never starts can never register a model.
"""

from __future__ import annotations

import duckdb

from ingest.sources import SourceError, source_relation
from mlops.pipeline_config import PipelineConfig
from validate.duck import NUMERIC_KINDS, kind_of

_DATE_OPS = ("hour_of_day", "day_of_week", "month")


class PreflightError(Exception):
    """The data source does not fit the pipeline config."""


def is_numeric(duckdb_type: str) -> bool:
    """Whether a column of this DuckDB type is a number, as the validate step classifies types."""
    return kind_of(duckdb_type) in NUMERIC_KINDS


def source_columns(source: str) -> tuple[dict[str, str], bool]:
    """The source's columns (name -> DuckDB type) and whether it has at least one row."""
    preview = source
    if source.startswith("sample://"):
        preview = _sample_preview(source)
    elif source.startswith("bq://") and "limit=" not in source:
        preview = f"{source}{'&' if '?' in source else '?'}limit=50"  # columns and types, not the table
    connection = duckdb.connect()
    try:
        relation = source_relation(connection, preview)
        described = connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        columns = {row[0]: row[1] for row in described}  # column_name, column_type
        has_rows = connection.execute(f"SELECT 1 FROM {relation} LIMIT 1").fetchone() is not None
    except SourceError as error:
        raise PreflightError(str(error)) from None
    except duckdb.Error as error:
        raise PreflightError(f"{source}: cannot read source: {str(error).splitlines()[0]}") from None
    finally:
        connection.close()
    return columns, has_rows


def check(config: PipelineConfig) -> dict[str, str]:
    """Raise PreflightError if the source lacks a column, has a wrong type or no rows."""
    source = config.data.source
    columns, has_rows = source_columns(source)
    if not has_rows:
        raise PreflightError(f"{source}: source table is empty (0 rows)")
    problems = []
    for role, name in (("data.target", config.data.target), ("data.entity_column", config.data.entity_column),
                       ("data.timestamp_column", config.data.timestamp_column)):  # fmt: skip
        if name not in columns:
            problems.append(f"{role} {name!r} is not a column")
    for transform in config.feature_spec().transforms:
        for column in transform.inputs():
            if column not in columns:
                problems.append(f"features.transforms {transform.name!r} reads column {column!r}, which is missing")
            elif transform.op in _DATE_OPS:
                continue
            elif transform.op != "passthrough" and not is_numeric(columns[column]):
                problems.append(f"column {column!r} is {columns[column]}, but transform {transform.op} needs a number")
            elif transform.name in config.features.numeric and not is_numeric(columns[column]):
                problems.append(f"numeric feature {transform.name!r} reads column {column!r} of type {columns[column]}")
    target_type = columns.get(config.data.target)
    if config.data.problem_type == "regression" and target_type and not is_numeric(target_type):
        problems.append(f"regression target {config.data.target!r} is {target_type}, not a number")
    if problems:
        raise PreflightError(f"{source}: {'; '.join(problems)}; columns are: {', '.join(columns)}")
    return columns


def _sample_preview(source: str) -> str:
    """The same synthetic source with a few rows: same columns and types, generated in milliseconds."""
    base, _, query = source.partition("?")
    parts = [part for part in query.split("&") if part]
    rows = next((part.removeprefix("rows=") for part in parts if part.startswith("rows=")), "50")
    preview_rows = str(min(int(rows), 50)) if rows.lstrip("-").isdigit() else rows  # bad values fail as in ingest
    return f"{base}?{'&'.join([*(p for p in parts if not p.startswith('rows=')), f'rows={preview_rows}'])}"
