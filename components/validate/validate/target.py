"""Checks of the label column: what train needs of it, so a bad target fails here and not in train.

A schema's null-rate rule is inferred from the train split, so a target with 5% empty values
passes it; train then fails on the first null label, after features were written to the store.
These checks do not depend on the schema or the threshold: every row needs a label, a regression
target must be a number, and a classification target needs at least two classes (in the train
split, each with at least `min_class_rows` rows, since a class seen once cannot be learned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlops.metrics import PROBLEM_TYPES
from mlops.sql import quote_identifier
from validate.duck import NUMERIC_KINDS, fetch_all, fetch_one, kind_of
from validate.errors import ValidateError
from validate.report import Violation, percent, plural

MIN_CLASS_ROWS = 5  # rows of each class the train split needs; valid and test need two classes only
_SHOWN_CLASSES = 5


@dataclass(frozen=True)
class TargetRule:
    """The label column and the problem type it must fit ("": check only that no label is null)."""

    column: str
    problem_type: str = ""
    min_class_rows: int = 1

    def __post_init__(self) -> None:
        if not self.column:
            raise ValidateError("target: give the label column's name")
        if self.problem_type and self.problem_type not in PROBLEM_TYPES:
            raise ValidateError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {self.problem_type!r}")


def target_violations(
    connection: Any, path: str, types: dict[str, str], rule: TargetRule, rows: int
) -> list[Violation]:
    """The ways the target column in view `data` of `connection` breaks `rule` (empty: it fits)."""
    column = rule.column
    if column not in types:
        return [Violation(column, "target", "the label column", "missing")]
    if not rows:
        return []  # the row-count check already fails an empty table
    quoted = quote_identifier(column)
    violations = []
    (nulls,) = fetch_one(connection, f"SELECT count(*) FROM data WHERE {quoted} IS NULL", path)
    if nulls:
        observed = f"{plural(nulls, 'null value')} ({percent(nulls / rows)} of rows)"
        expected = "no nulls: every row needs a label"
        violations.append(Violation(column, "target", expected, observed, nulls, nulls / rows))
    kind = kind_of(types[column])
    if rule.problem_type == "regression" and kind not in NUMERIC_KINDS:
        violations.append(Violation(column, "target", "a number for regression", types[column], rows, 1.0))
    if rule.problem_type == "classification":
        violations += _class_violations(connection, path, column, kind, rule, rows)
    return violations


def _class_violations(
    connection: Any, path: str, column: str, kind: str | None, rule: TargetRule, rows: int
) -> list[Violation]:
    quoted = quote_identifier(column)
    if kind == "float":
        (fractional,) = fetch_one(connection, f"SELECT count(*) FROM data WHERE {quoted} <> round({quoted})", path)
        if fractional:
            expected = "class labels for classification (integers, text or booleans)"
            observed = f"{plural(fractional, 'fractional value')}: a continuous target (regression?)"
            return [Violation(column, "target", expected, observed, fractional, fractional / rows)]
    counts = fetch_all(
        connection,
        f"SELECT CAST({quoted} AS VARCHAR), count(*) FROM data WHERE {quoted} IS NOT NULL GROUP BY 1 ORDER BY 2, 1",
        path,
    )
    if len(counts) < 2:
        observed = f"{len(counts)} class" + (f" ({counts[0][0]})" if counts else "")
        return [Violation(column, "target", "at least 2 classes for classification", observed, rows, 1.0)]
    rare = [(label, count) for label, count in counts if count < rule.min_class_rows]
    if not rare:
        return []
    shown = ", ".join(f"{label!r}: {plural(count, 'row')}" for label, count in rare[:_SHOWN_CLASSES])
    more = ", ..." if len(rare) > _SHOWN_CLASSES else ""
    classes = "1 class" if len(rare) == 1 else f"{len(rare)} classes"
    expected = f"at least {plural(rule.min_class_rows, 'row')} per class"
    affected = sum(count for _, count in rare)
    return [Violation(column, "target", expected, f"{classes} with fewer ({shown}{more})", affected, affected / rows)]
