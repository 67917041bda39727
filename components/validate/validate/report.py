"""What validation found: one `Violation` per broken rule, gathered in a `ValidationReport` per table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from validate.errors import DataValidationError

Check = Literal["row_count", "missing_column", "type", "null_rate", "range", "categories", "target"]
# Checks that fail whatever the threshold: the table cannot be used as the schema describes it, or
# train cannot use its labels (validate.target).
ALWAYS_FAIL: tuple[Check, ...] = ("row_count", "missing_column", "type", "target")


@dataclass(frozen=True)
class Violation:
    """One broken rule. `rows` of the table (`share` of it) break it; `examples` are bad values."""

    column: str | None  # None for table-level checks (row count)
    check: Check
    expected: str
    observed: str
    rows: int = 0
    share: float = 0.0  # of the table's rows that break the rule (null rate: beyond the allowed rate)
    examples: tuple[str, ...] = ()
    more_examples: bool = False  # more bad values exist than `examples` shows
    fails: bool = True  # False: below the threshold, reported as a warning

    @property
    def message(self) -> str:
        """One phrase naming the column, the rule and the bad values, as used in error messages."""
        where = f"column {self.column!r}" if self.column is not None else "table"
        examples = ", ".join(self.examples) + (", ..." if self.more_examples else "")
        if self.check == "row_count":
            return f"{where}: {self.observed}, expected {self.expected}"
        if self.check == "missing_column":
            return f"{where}: required column is missing"
        if self.check == "type":
            verb = "is" if self.rows == 1 else "are"
            detail = f" ({plural(self.rows, 'value')} {verb} not {self.expected}, e.g. {examples})"
            return f"{where}: type {self.observed}, expected {self.expected}{detail if self.examples else ''}"
        if self.check == "null_rate":
            return f"{where}: null rate {self.observed} > {self.expected} ({plural(self.rows, 'row')})"
        if self.check == "range":
            return f"{where}: {plural(self.rows, 'value')} out of range {self.expected} (e.g. {examples})"
        if self.check == "target":
            return f"{where}: target {self.observed}, expected {self.expected}"
        return f"{where}: unknown categories {examples}"


@dataclass(frozen=True)
class ValidationReport:
    """The result of checking one table against a schema."""

    name: str  # how messages refer to the table, e.g. "test split" or its path
    path: str
    rows: int
    max_violation_rate: float
    violations: tuple[Violation, ...] = ()
    unchecked_columns: tuple[str, ...] = ()  # in the data but not in the schema
    absent_optional_columns: tuple[str, ...] = ()  # in the schema, not required, not in the data

    @property
    def failures(self) -> tuple[Violation, ...]:
        return tuple(violation for violation in self.violations if violation.fails)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(violation for violation in self.violations if not violation.fails)

    @property
    def passed(self) -> bool:
        return not self.failures

    def error_message(self) -> str:
        """`NAME: N violations: column 'a': ...; column 'b': ...`, or "" if the table passed."""
        if self.passed:
            return ""
        count = len(self.failures)
        phrases = "; ".join(violation.message for violation in self.failures)
        return f"{self.name}: {count} violation{'s' if count != 1 else ''}: {phrases}"


def raise_on_failure(reports: Sequence[ValidationReport]) -> None:
    """Raise one DataValidationError naming every failing table, column and value (one line each)."""
    messages = [report.error_message() for report in reports if not report.passed]
    if messages:
        raise DataValidationError("\n".join(messages))


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def percent(share: float) -> str:
    """A share as a short percentage: 0.041 -> '4.1%', 0.00002 -> '0.002%'."""
    value = share * 100
    if value == 0 or value >= 1:
        return f"{value:.1f}%"
    return f"{value:.2g}%"
