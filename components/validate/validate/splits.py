"""The pipeline step: validate the train/valid/test splits against one schema, report, then decide.

The schema is a given file, or inferred from the train split; it is stored with the run (the
step's schema output) only when every split passes. The Markdown report is written in both
cases, before failing, so a failed run still shows every violation.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from mlops import storage
from validate.core import Thresholds, ValidationReport, raise_on_failure, render_markdown, validate_tables
from validate.errors import ValidateError
from validate.schema import InferOptions, TableSchema, infer_schema, load_schema, save_schema
from validate.target import MIN_CLASS_ROWS, TargetRule

log = logging.getLogger("validate")


@dataclass(frozen=True)
class SplitsResult:
    schema: TableSchema
    schema_source: str  # the schema file's URI, or "inferred from the train split"
    reports: tuple[ValidationReport, ...]

    @property
    def rows(self) -> int:
        return sum(report.rows for report in self.reports)


def validate_splits(
    datasets: Mapping[str, str],
    schema_out: str,
    report_out: str,
    *,
    schema_uri: str | None = None,
    infer_from: str = "train",
    thresholds: Thresholds | None = None,
    options: InferOptions | None = None,
    target: str = "",
    problem_type: str = "",
) -> SplitsResult:
    """Validate each split (name -> Parquet path); write the report always, the schema on success.

    `target` (and `problem_type`): also check the label column of every split as train needs it
    (validate.target; the `infer_from` split also needs MIN_CLASS_ROWS rows per class).
    Raises DataValidationError naming every failing split, column and value; SchemaError or
    ValidateError (with a report saying so) when the schema or a file cannot be read.
    """
    try:
        if schema_uri:
            schema, source = load_schema(schema_uri), schema_uri
        elif infer_from in datasets:
            schema = infer_schema(datasets[infer_from], options)
            source = f"inferred from the {infer_from} split ({datasets[infer_from]})"
        else:
            raise ValidateError(f"no schema_uri, and no {infer_from!r} split to infer a schema from")
        targets = _target_rules(datasets, target, problem_type, infer_from)
        reports = validate_tables(
            {f"{split} split": path for split, path in datasets.items()}, schema, thresholds, targets
        )
    except ValidateError as error:
        quoted = "".join(f"    {line}\n" for line in str(error).splitlines())
        storage.write_text(report_out, f"# Data validation report\n\nResult: FAILED before any check ran:\n\n{quoted}")
        raise
    storage.write_text(report_out, render_markdown(reports, schema, schema_source=source))
    for report in reports:
        failures, warnings = len(report.failures), len(report.warnings)
        log.info("%s: %d rows, %d failures, %d warnings", report.name, report.rows, failures, warnings)
    raise_on_failure(reports)
    save_schema(schema, schema_out)
    return SplitsResult(schema, source, tuple(reports))


def _target_rules(datasets: Mapping[str, str], target: str, problem_type: str, train: str) -> dict[str, TargetRule]:
    """The label rule of each split (by report name); none without a target (the old behaviour)."""
    if not target:
        return {}
    return {
        f"{split} split": TargetRule(target, problem_type, MIN_CLASS_ROWS if split == train else 1)
        for split in datasets
    }
