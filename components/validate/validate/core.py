"""Validate a Parquet table against a TableSchema: row count, columns, types, nulls, ranges, categories.

Counting happens in one DuckDB aggregate scan over the file; only columns that break a rule are
scanned again, for a few example values. Nothing is loaded into pandas, so size is not a limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from mlops.sql import quote_identifier, quote_literal
from validate.duck import (
    ACCEPTED,
    CAST_TYPE,
    fetch_all,
    fetch_one,
    float_literal,
    kind_of,
    open_table,
)
from validate.errors import DataValidationError, ValidateError
from validate.rates import null_rate_exceeds
from validate.render import render_html, render_markdown
from validate.report import ALWAYS_FAIL, ValidationReport, Violation, percent, plural, raise_on_failure
from validate.schema import ColumnSpec, TableSchema
from validate.target import TargetRule, target_violations

EXAMPLES = 5  # bad values shown per violation

__all__ = [
    "DataValidationError",
    "Thresholds",
    "ValidationReport",
    "Violation",
    "raise_on_failure",
    "render_html",
    "render_markdown",
    "validate_table",
    "validate_tables",
]


@dataclass(frozen=True)
class Thresholds:
    """When violations fail. Row count, missing-column and type violations always fail.

    A null-rate, range or category violation fails when its share of the table's rows is above
    `max_violation_rate` (for nulls: the share beyond the column's max_null_rate); otherwise it is
    reported as a warning. The default 0 fails on any violation.
    """

    max_violation_rate: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_violation_rate <= 1.0:  # also rejects NaN
            raise ValidateError(f"max_violation_rate must be between 0 and 1, got {self.max_violation_rate!r}")


def validate_table(
    parquet_path: str,
    schema: TableSchema,
    thresholds: Thresholds | None = None,
    *,
    name: str | None = None,
    target: TargetRule | None = None,
) -> ValidationReport:
    """Check the Parquet file at `parquet_path` against `schema`; violations are in the report.

    Raises ValidateError only when the file cannot be read; call `raise_on_failure([report])` to
    turn failing violations into a DataValidationError. `name` labels the table in messages.
    `target`: also check the label column as train needs it (validate.target), whatever the schema.
    """
    thresholds = thresholds or Thresholds()
    violations: list[Violation] = []
    with open_table(parquet_path) as (connection, types):
        (rows,) = fetch_one(connection, "SELECT count(*) FROM data", parquet_path)
        if rows < schema.min_rows:
            observed = "empty (0 rows)" if rows == 0 else plural(rows, "row")
            violations.append(Violation(None, "row_count", f"at least {plural(schema.min_rows, 'row')}", observed))
        checkable: dict[str, ColumnSpec] = {}
        for column, spec in schema.columns.items():
            if column not in types:
                if spec.required:
                    violations.append(Violation(column, "missing_column", "present", "missing"))
            elif kind_of(types[column]) not in ACCEPTED[spec.kind]:
                violations.append(_type_violation(connection, parquet_path, column, spec, types[column], rows))
            else:
                checkable[column] = spec
        if rows and checkable:
            violations += _value_violations(connection, parquet_path, checkable, rows)
        if target is not None:
            violations += target_violations(connection, parquet_path, types, target, rows)
    return ValidationReport(
        name=name or parquet_path,
        path=parquet_path,
        rows=rows,
        max_violation_rate=thresholds.max_violation_rate,
        violations=tuple(_judged(violation, thresholds) for violation in _in_schema_order(violations, schema)),
        unchecked_columns=tuple(column for column in types if column not in schema.columns),
        absent_optional_columns=tuple(c for c, s in schema.columns.items() if c not in types and not s.required),
    )


def _judged(violation: Violation, thresholds: Thresholds) -> Violation:
    fails = violation.check in ALWAYS_FAIL or violation.share > thresholds.max_violation_rate
    return violation if fails == violation.fails else replace(violation, fails=fails)


def _in_schema_order(violations: list[Violation], schema: TableSchema) -> list[Violation]:
    position = {column: index for index, column in enumerate(schema.columns)}
    last = len(position)  # a target check's column may be missing from a given schema: after the rest
    return sorted(violations, key=lambda v: -1 if v.column is None else position.get(v.column, last))


def _type_violation(
    connection: Any, path: str, column: str, spec: ColumnSpec, stored_type: str, rows: int
) -> Violation:
    """Wrong stored type. For text columns, also the values that are not of the expected kind."""
    if kind_of(stored_type) != "string":
        return Violation(column, "type", spec.kind, stored_type)
    quoted = quote_identifier(column)
    bad = f"{quoted} IS NOT NULL AND TRY_CAST({quoted} AS {CAST_TYPE[spec.kind]}) IS NULL"
    (count,) = fetch_one(connection, f"SELECT count(*) FILTER (WHERE {bad}) FROM data", path)
    query = f"SELECT DISTINCT {quoted} FROM data WHERE {bad} ORDER BY 1 LIMIT {EXAMPLES + 1}"
    values = [repr(str(value)) for (value,) in fetch_all(connection, query, path)]
    share = count / rows if rows else 0.0
    examples, more = tuple(values[:EXAMPLES]), len(values) > EXAMPLES
    return Violation(column, "type", spec.kind, stored_type, count, share, examples, more)


def _range_condition(column: str, spec: ColumnSpec) -> str | None:
    quoted = quote_identifier(column)
    parts = []
    if spec.min is not None:
        parts.append(f"{quoted} < {float_literal(spec.min)}")
    if spec.max is not None:
        parts.append(f"{quoted} > {float_literal(spec.max)}")  # NaN sorts above every number: caught
    return " OR ".join(parts) or None


def _category_condition(column: str, spec: ColumnSpec) -> str | None:
    if spec.categories is None:
        return None
    quoted = quote_identifier(column)
    if not spec.categories:
        return f"{quoted} IS NOT NULL"
    allowed = ", ".join(quote_literal(value) for value in spec.categories)
    return f"CAST({quoted} AS VARCHAR) NOT IN ({allowed})"


def _value_violations(connection: Any, path: str, specs: dict[str, ColumnSpec], rows: int) -> list[Violation]:
    """Null rates, out-of-range values and unknown categories of every column, in one scan."""
    conditions = {column: (_range_condition(column, s), _category_condition(column, s)) for column, s in specs.items()}
    aggregates = []
    for column, (in_range, in_categories) in conditions.items():
        aggregates.append(f"count(*) - count({quote_identifier(column)})")
        aggregates.append(f"count(*) FILTER (WHERE {in_range})" if in_range else "0")
        aggregates.append(f"count(*) FILTER (WHERE {in_categories})" if in_categories else "0")
    counts = fetch_one(connection, f"SELECT {', '.join(aggregates)} FROM data", path)
    violations = []
    for index, (column, spec) in enumerate(specs.items()):
        nulls, out_of_range, unknown = (int(value) for value in counts[3 * index : 3 * index + 3])
        in_range, in_categories = conditions[column]
        if null_rate_exceeds(nulls, rows, spec.max_null_rate):
            excess = nulls / rows - spec.max_null_rate
            violations.append(
                Violation(column, "null_rate", percent(spec.max_null_rate), percent(nulls / rows), nulls, excess)
            )
        if out_of_range and in_range:
            examples, more = _examples(connection, path, column, in_range, with_counts=False)
            expected = _bounds(spec)
            observed = f"{out_of_range} values outside"
            share = out_of_range / rows
            violations.append(Violation(column, "range", expected, observed, out_of_range, share, examples, more))
        if unknown and in_categories:
            examples, more = _examples(connection, path, column, in_categories, with_counts=True)
            observed = f"{unknown} rows with unknown values"
            expected = "one of " + ", ".join(repr(value) for value in spec.categories or [])
            share = unknown / rows
            violations.append(Violation(column, "categories", expected, observed, unknown, share, examples, more))
    return violations


def _examples(
    connection: Any, path: str, column: str, condition: str, *, with_counts: bool
) -> tuple[tuple[str, ...], bool]:
    """The most frequent bad values (then the smallest), formatted for messages."""
    quoted = quote_identifier(column)
    query = (
        f"SELECT {quoted}, count(*) AS n FROM data WHERE {condition} "
        f"GROUP BY {quoted} ORDER BY n DESC, {quoted} LIMIT {EXAMPLES + 1}"
    )
    found = fetch_all(connection, query, path)
    formatted = [_value(value) + (f" ({plural(count, 'row')})" if with_counts else "") for value, count in found]
    return tuple(formatted[:EXAMPLES]), len(found) > EXAMPLES


def _value(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return str(value)


def _bounds(spec: ColumnSpec) -> str:
    def number(value: float) -> str:
        return str(int(value)) if spec.kind == "integer" and value.is_integer() else repr(float(value))

    if spec.min is not None and spec.max is not None:
        return f"[{number(spec.min)}, {number(spec.max)}]"
    return f">= {number(spec.min)}" if spec.min is not None else f"<= {number(spec.max or 0.0)}"


def validate_tables(
    paths: Mapping[str, str],
    schema: TableSchema,
    thresholds: Thresholds | None = None,
    targets: Mapping[str, TargetRule] | None = None,
) -> list[ValidationReport]:
    """Validate several tables (name -> path) against one schema, and each named in `targets` (name ->
    rule) for its label column; does not raise on violations."""
    targets = targets or {}
    return [
        validate_table(path, schema, thresholds, name=name, target=targets.get(name)) for name, path in paths.items()
    ]
