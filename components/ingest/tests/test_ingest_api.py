"""ingest.api: the columns a source would give, read from a preview of it."""

from pathlib import Path

import pytest

from ingest.api import SourceError, preview_columns


def test_a_sample_preview_has_the_columns_and_types_of_the_full_source() -> None:
    preview = preview_columns("sample://churn?rows=5000000&seed=7")  # five million rows: read as 50
    assert preview.has_rows and preview.columns["tenure_months"] in ("BIGINT", "INTEGER", "DOUBLE")
    assert preview.columns["contract_type"] == "VARCHAR" and "churned" in preview.columns


def test_an_empty_file_has_columns_but_no_rows(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("entity_id,amount\n")
    preview = preview_columns(str(empty))
    assert list(preview.columns) == ["entity_id", "amount"] and not preview.has_rows


def test_an_unreadable_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=f"{tmp_path}/missing.csv: source file not found"):
        preview_columns(str(tmp_path / "missing.csv"))
    with pytest.raises(SourceError, match="rows must be at least 1"):
        preview_columns("sample://churn?rows=0")
