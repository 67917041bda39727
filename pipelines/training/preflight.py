"""Checks a training config against its data source before anything runs.

Bad input fails here, in seconds, with one message naming the source and the column, instead of
minutes later inside a pipeline step; and a run that never starts can never register a model. The
source is read through ingest's public API, and types are classified as the validate step does.
"""

from __future__ import annotations

from ingest.api import SourceError, preview_columns
from mlops.pipeline_config import PipelineConfig
from mlops.pipeline_definition import PreflightError
from validate.api import is_numeric

_DATE_OPS = ("hour_of_day", "day_of_week", "month")


def check_source(config: PipelineConfig) -> dict[str, str]:
    """Raise PreflightError if the source lacks a column, has a wrong type or no rows; else its columns."""
    source = config.data.source
    try:
        preview = preview_columns(source)
    except SourceError as error:
        raise PreflightError(str(error)) from None
    columns = preview.columns
    if not preview.has_rows:
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
