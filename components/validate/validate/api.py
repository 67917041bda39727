"""Validate's public API for code outside the component (a pipeline's preflight, for one)."""

from __future__ import annotations

from validate.duck import NUMERIC_KINDS, kind_of

__all__ = ["is_numeric"]


def is_numeric(duckdb_type: str) -> bool:
    """Whether a column of this DuckDB type is a number, as the validate step classifies types."""
    return kind_of(duckdb_type) in NUMERIC_KINDS
