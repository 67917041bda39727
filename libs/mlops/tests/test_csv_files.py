"""The CSV scan that refuses bad rows (shared by ingest and batch prediction), on files written by hand."""

from pathlib import Path

import duckdb
import pytest

from mlops.csv_files import CsvError, CsvOptions, check_csv, csv_relation


def test_text_in_a_number_column_beyond_the_sniffed_sample_names_its_line(tmp_path: Path) -> None:
    # DuckDB sniffs the column's type from the first rows; the bad value comes long after them.
    lines = ["id,amount", *(f"{i},{i}.5" for i in range(30_000)), "30000,lots"]
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n")
    connection = duckdb.connect()
    relation = csv_relation(str(path), CsvOptions())
    with pytest.raises(CsvError, match=r"rows.csv: line 30002: column 'amount'.*'30000,lots'"):
        check_csv(connection, str(path), relation, CsvOptions())
    skipped = check_csv(duckdb.connect(), str(path), relation, CsvOptions(bad_rows="skip"))
    assert (skipped.rows, skipped.skipped_rows) == (30_000, 1)
