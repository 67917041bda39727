"""Checks a training config against its data source before anything runs.

Bad input fails here, in seconds, with one message naming the source and the column, instead of
minutes later inside a pipeline step; and a run that never starts can never register a model. The
source is read through ingest's public API, and types are classified as the validate step does.
"""

from __future__ import annotations

import sys

from ingest.api import CsvOptions, SourceError, non_numeric_values, preview_columns
from mlops.pipeline_config import PipelineConfig
from mlops.pipeline_definition import PreflightError
from mlops.row_keys import ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN
from validate.api import is_numeric

_DATE_OPS = ("hour_of_day", "day_of_week", "month")


def check_source(config: PipelineConfig) -> dict[str, str]:
    """Raise PreflightError if the source lacks a column, has a wrong type or no rows; else its columns."""
    source = config.data.source
    try:
        preview = preview_columns(source, _csv_options(config), config.data.drop_columns)
    except SourceError as error:
        raise PreflightError(str(error)) from None
    columns = preview.columns
    if preview.skipped_rows:
        skipped = f"{preview.skipped_rows} unparsable row(s) will be skipped (data.csv.bad_rows: skip)"
        print(f"mlops: {source}: {skipped}", file=sys.stderr)
    if not preview.has_rows:
        raise PreflightError(f"{source}: source table is empty (0 rows)")
    problems = []
    for role, name in (("data.target", config.data.target), ("data.entity_column", config.data.entity_column),
                       ("data.timestamp_column", config.data.timestamp_column)):  # fmt: skip
        if name and name not in columns:
            problems.append(f"{role} {name!r} is not a column")
    derived_keys = {"data.entity_column": ROW_KEY_COLUMN, "data.timestamp_column": SNAPSHOT_TIME_COLUMN}
    for role, derived in derived_keys.items():
        if not getattr(config.data, role.removeprefix("data.")) and derived in columns:
            problems.append(f"column {derived!r} is the one ingest derives when {role} is empty; set {role} to it")
    for transform in config.feature_spec().transforms:
        for column in transform.inputs():
            if column not in columns:
                problems.append(f"features.transforms {transform.name!r} reads column {column!r}, which is missing")
            elif transform.op in _DATE_OPS:
                continue
            elif transform.op != "passthrough" and not is_numeric(columns[column]):
                problems.append(
                    f"column {column!r} is {columns[column]}, but transform {transform.op} needs a number"
                    + _non_numeric_hint(config, column)
                )
            elif transform.name in config.features.numeric and not is_numeric(columns[column]):
                problems.append(
                    f"numeric feature {transform.name!r} reads column {column!r} of type {columns[column]}"
                    + _non_numeric_hint(config, column)
                )
    target_type = columns.get(config.data.target)
    if config.data.problem_type == "regression" and target_type and not is_numeric(target_type):
        problems.append(
            f"regression target {config.data.target!r} is {target_type}, not a number"
            + _non_numeric_hint(config, config.data.target)
        )
    if problems:
        raise PreflightError(f"{source}: {'; '.join(problems)}; columns are: {', '.join(columns)}")
    return columns


def _csv_options(config: PipelineConfig) -> CsvOptions:
    """The config's CSV options, as ingest will parse the file."""
    return CsvOptions.from_mapping(config.data.csv.model_dump())


def _non_numeric_hint(config: PipelineConfig, column: str) -> str:
    """Which values keep `column` from being a number: a count and a few, with their row numbers."""
    try:
        found = non_numeric_values(config.data.source, column, _csv_options(config))
    except SourceError:
        return ""  # the column's type alone is still reported
    if not found.count:
        return ""
    examples = ", ".join(f"row {row}: {value!r}" for row, value in found.examples)
    return (
        f" ({found.count} value(s) are not numbers, e.g. {examples}; "
        "if they mean 'missing', list them in data.csv.null_values)"
    )
