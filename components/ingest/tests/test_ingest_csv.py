"""CSV files as real exports come: a `;` delimiter, `n/a` markers, a short row, no header.

Each file is written by hand with the defect in question; ingest and its public API (what a
pipeline's preflight reads) must parse it alike: name the bad line, or skip and count it.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from kfp.dsl import Dataset

from ingest.api import CsvOptions, SourceError, non_numeric_values, preview_columns
from ingest.component import ingest
from ingest.core import IngestError, ingest_to_parquet

HEADER = "row_id;carat;cut\n"


def write(folder: Path, lines: list[str], name: str = "diamonds.csv", header: str = HEADER) -> str:
    path = folder / name
    path.write_text(header + "".join(line + "\n" for line in lines))
    return str(path)


def rows(count: int, start: int = 1) -> list[str]:
    return [f"{i};{0.2 + i / 100:.2f};{('Good', 'Ideal', 'Fair')[i % 3]}" for i in range(start, start + count)]


def outputs(folder: Path) -> dict[str, str]:
    return {split: str(folder / "out" / f"{split}.parquet") for split in ("train", "valid", "test")}


def test_a_short_row_is_refused_naming_its_line_not_read_as_one_column(tmp_path: Path) -> None:
    # Line 1 is the header; the short row is the 6th data row, so line 7.
    source = write(tmp_path, [*rows(5), "6;0.31", *rows(20, 7)])
    message = rf"{source}: line 7: expected 3 columns, found 2: '6;0.31' \(1 bad row\(s\) in all\)"
    with pytest.raises(SourceError, match=message):
        preview_columns(source)
    with pytest.raises(IngestError, match=message):
        ingest_to_parquet(source, outputs(tmp_path))
    assert not (tmp_path / "out").exists()


def test_bad_rows_skip_drops_and_counts_them(tmp_path: Path) -> None:
    source = write(tmp_path, [*rows(5), "6;0.31", *rows(20, 7), "27;0.5;Good;extra"])
    options = CsvOptions(delimiter=";", bad_rows="skip")
    preview = preview_columns(source, options)
    assert list(preview.columns) == ["row_id", "carat", "cut"] and preview.skipped_rows == 2
    result = ingest_to_parquet(source, outputs(tmp_path), csv=options)
    assert result.total_rows == 25 and result.skipped_rows == 2


def test_null_values_turn_markers_into_nulls_and_the_column_into_numbers(tmp_path: Path) -> None:
    source = write(tmp_path, [*rows(3), "4;n/a;Good", "5;N/A;Ideal", *rows(5, 6)])
    assert preview_columns(source).columns["carat"] == "VARCHAR"
    found = non_numeric_values(source, "carat")
    assert found.count == 2 and found.examples == [(4, "n/a"), (5, "N/A")]
    options = CsvOptions(null_values=("n/a", "N/A"))
    assert preview_columns(source, options).columns["carat"] == "DOUBLE"
    assert non_numeric_values(source, "carat", options).count == 0
    result = ingest_to_parquet(source, outputs(tmp_path), csv=options)
    tables = [pq.read_table(path) for path in outputs(tmp_path).values()]
    assert result.total_rows == 10 and sum(t.column("carat").null_count for t in tables) == 2


def test_non_numeric_values_are_counted_with_row_numbers(tmp_path: Path) -> None:
    source = write(tmp_path, [*rows(2), "3;abc;Good", *rows(3, 4), "7;1,5;Fair", "8;;Ideal", "9;xyz;Good"])
    found = non_numeric_values(source, "carat", examples=2)
    assert found.count == 3 and found.examples == [(3, "abc"), (7, "1,5")]  # the empty value is a null


def test_a_file_without_header_is_read_with_numbered_columns(tmp_path: Path) -> None:
    source = write(tmp_path, rows(10), header="")
    assert list(preview_columns(source, CsvOptions(header=False)).columns) == ["column0", "column1", "column2"]


def test_the_wrapper_takes_csv_options_as_a_parameter(tmp_path: Path) -> None:
    source = write(tmp_path, [*rows(30), "31;0.1"])
    artifacts = {s: Dataset(name=s, uri=str(tmp_path / s), metadata={}) for s in ("train", "valid", "test")}
    options = {"delimiter": ";", "header": True, "null_values": [], "bad_rows": "skip"}
    assert ingest(source, artifacts["train"], artifacts["valid"], artifacts["test"], csv_options=options) == 30
    assert artifacts["train"].metadata["skipped_rows"] == 1
    with pytest.raises(IngestError, match=r"unknown CSV option\(s\) \['sep'\]"):
        ingest(source, artifacts["train"], artifacts["valid"], artifacts["test"], csv_options={"sep": ";"})


def test_a_wrong_delimiter_is_named_not_read_as_one_column(tmp_path: Path) -> None:
    source = write(tmp_path, rows(10))
    with pytest.raises(SourceError, match=r"read as one column named 'row_id;carat;cut': .* set data\.csv\.delimiter"):
        preview_columns(source, CsvOptions(delimiter="|"))


def test_in_a_folder_of_files_the_bad_file_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write(folder, rows(10), name="part-1.csv")
    bad = write(folder, [*rows(3, 11), "14;0.3"], name="part-2.csv")
    with pytest.raises(SourceError, match=rf": {bad}: line 5: expected 3 columns, found 2: '14;0.3'"):
        preview_columns(str(folder))
    assert preview_columns(str(folder), CsvOptions(bad_rows="skip")).skipped_rows == 1
