"""validate.api: the type classification other code (a pipeline's preflight) shares with validate."""

import pytest

from validate.api import is_numeric


@pytest.mark.parametrize(
    ("duckdb_type", "numeric"),
    [("BIGINT", True), ("DOUBLE", True), ("DECIMAL(10,2)", True), ("VARCHAR", False), ("BOOLEAN", False),
     ("TIMESTAMP", False), ("DATE", False)],
)  # fmt: skip
def test_numbers_are_the_integer_and_float_kinds(duckdb_type: str, numeric: bool) -> None:
    assert is_numeric(duckdb_type) is numeric
