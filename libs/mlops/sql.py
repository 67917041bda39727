"""Quoting names and text into SQL, for the SQL this project writes itself (DuckDB, BigQuery, SQLite).

Column and table names come from data and config files, so they are always quoted, with the quote
character doubled inside the name: a column called `a"b` is `"a""b"`, never the end of the name.
"""

from __future__ import annotations


def quote_identifier(name: str, quote: str = '"') -> str:
    """`name` as a quoted identifier: `"name"` (DuckDB, SQLite), or with quote="`" for BigQuery."""
    return quote + name.replace(quote, quote * 2) + quote


def quote_literal(value: str) -> str:
    """`value` as a single-quoted SQL string literal (file paths, category values)."""
    return "'" + value.replace("'", "''") + "'"
