"""Reading CSV files with the options a config gives, and refusing rows DuckDB cannot parse.

Shared by the steps that read tables (ingest, batch prediction), through mlops.file_tables.

DuckDB's sniffer guesses the delimiter, header and types from a sample. A file with one malformed
row can make it guess wrong silently (one column named `a,b,c`), so every CSV is read with
`store_rejects`: DuckDB keeps going past a bad row and records its line, and the whole file is
scanned once up front. Bad rows are then an error naming the first bad line (the default), or,
with `bad_rows: skip`, dropped and counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from mlops.sql import quote_literal

# DuckDB's name for a header field that is empty: `column0`, `column07`, ... (its position, padded).
_GENERATED_NAME = re.compile(r"^column(\d+)$")
# Characters a single sniffed column's name may contain when the real delimiter was missed.
_DELIMITER_HINTS = (",", ";", "\t", "|")
_REJECTS = "csv_rejects"


class CsvError(Exception):
    """The CSV file cannot be parsed as configured. The message names the file and the line."""


@dataclass(frozen=True)
class CsvOptions:
    """How to parse CSV files (the config's `data.csv`). Empty delimiter: let DuckDB detect it."""

    delimiter: str = ""
    header: bool = True
    null_values: tuple[str, ...] = ()
    bad_rows: str = "error"  # "error": refuse the file at its first bad line; "skip": drop and count

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> CsvOptions:
        """From a pipeline parameter (a plain dict; unknown keys are an error, not ignored)."""
        values = dict(values or {})
        if unknown := set(values) - {"delimiter", "header", "null_values", "bad_rows"}:
            raise CsvError(f"unknown CSV option(s) {sorted(unknown)}; use delimiter, header, null_values, bad_rows")
        options = cls(
            delimiter=str(values.get("delimiter", "")),
            header=bool(values.get("header", True)),
            null_values=tuple(str(value) for value in values.get("null_values", ())),
            bad_rows=str(values.get("bad_rows", "error")),
        )
        if options.bad_rows not in ("error", "skip"):
            raise CsvError(f"CSV option bad_rows must be 'error' or 'skip', got {options.bad_rows!r}")
        return options


def csv_relation(uri: str, options: CsvOptions) -> str:
    """The `read_csv(...)` table expression for `uri` with `options`; bad rows go to the rejects table."""
    arguments = [quote_literal(uri), f"header = {'true' if options.header else 'false'}"]
    if options.delimiter:
        arguments.append(f"delim = {quote_literal(options.delimiter)}")
    if options.null_values:
        # The empty string stays a null too, as it is by default.
        nulls = ", ".join(quote_literal(value) for value in ("", *options.null_values))
        arguments.append(f"nullstr = [{nulls}]")
    arguments.append(f"store_rejects = true, rejects_table = '{_REJECTS}', rejects_scan = '{_REJECTS}_scans'")
    return f"read_csv({', '.join(arguments)})"


@dataclass(frozen=True)
class CsvScan:
    rows: int  # rows read (bad rows skipped)
    skipped_rows: int  # bad rows dropped (bad_rows: skip)


def check_csv(connection: duckdb.DuckDBPyConnection, uri: str, relation: str, options: CsvOptions) -> CsvScan:
    """Scan the whole file once; raise CsvError on bad rows, or return the rows read and skipped."""
    columns = [row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    if len(columns) == 1 and any(hint in columns[0] for hint in _DELIMITER_HINTS):
        raise CsvError(
            f"{uri}: read as one column named {columns[0]!r}: the delimiter was not detected; "
            "set data.csv.delimiter in the config"
        )
    # fetchall: the rejects table is written only once the result has been read to its end.
    # count(COLUMNS(*)) makes DuckDB convert every column: a bare count(*) parses no value, so a
    # row whose value does not fit its column's sniffed type (text in a number column) went unseen.
    ((rows, *_),) = connection.execute(f"SELECT count(*), count(COLUMNS(*)) FROM {relation}").fetchall()
    # A glob or folder reads many files: the rejects name the file as well as the line.
    rejects = connection.execute(
        f"SELECT s.file_path, e.line, e.csv_line, e.error_message, e.column_name "
        f"FROM {_REJECTS} e JOIN {_REJECTS}_scans s USING (scan_id, file_id) ORDER BY s.file_path, e.line"
    ).fetchall()
    lines = sorted({(row[0], row[1]) for row in rejects})
    if not lines or options.bad_rows == "skip":
        return CsvScan(int(rows), len(lines))
    path, line, text, message, column = rejects[0]
    where = uri if path == uri else f"{uri}: {path}"
    raise CsvError(
        f"{where}: line {line}: {_problem(message, column)}: {text.strip()!r} ({len(lines)} bad row(s) in all); "
        "fix the file, or set data.csv.bad_rows: skip to drop such rows"
    )


def unnamed_columns(
    connection: duckdb.DuckDBPyConnection, uri: str, columns: list[str], options: CsvOptions
) -> dict[str, str]:
    """The columns whose header field is empty (an R or pandas row index, most often), each with the
    name it gets instead: `unnamed_<position>`, counting from 0 as pandas does ("Unnamed: 0").

    DuckDB names such a column `column<position>`, which reads like a real name. Only a column with
    that generated name whose header field is really empty is renamed.
    """
    candidates = {name: int(match[1]) for name in columns if (match := _GENERATED_NAME.match(name))}
    candidates = {name: position for name, position in candidates.items() if columns[position : position + 1] == [name]}
    if not options.header or not candidates:
        return {}
    arguments = [quote_literal(uri), "header = false", "all_varchar = true"]
    if options.delimiter:
        arguments.append(f"delim = {quote_literal(options.delimiter)}")
    header = connection.execute(f"SELECT * FROM read_csv({', '.join(arguments)}) LIMIT 1").fetchone() or ()
    if len(header) != len(columns):
        return {}  # the header line did not parse like the file: leave the names as DuckDB gave them
    empty = [name for name, position in candidates.items() if not (header[position] or "").strip()]
    renamed = {name: f"unnamed_{candidates[name]}" for name in empty}
    return {old: new for old, new in renamed.items() if new not in columns}


def _problem(message: str, column: str | None) -> str:
    """DuckDB's reject message in the words of the rest of mlops."""
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if counts:
        return f"expected {counts[1]} columns, found {counts[2]}"
    return f"column {column!r}: {message.rstrip('.')}" if column else message.rstrip(".")
