from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.cli import main


def test_cli_writes_three_splits_and_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pq.write_table(pa.table({"x": list(range(200))}), tmp_path / "in.parquet")
    assert main([str(tmp_path / "in.parquet"), str(tmp_path / "out"), "--log-format", "text"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert sum(summary["rows"].values()) == 200
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["test.parquet", "train.parquet", "valid.parquet"]


def test_cli_reports_bad_input_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "missing.csv"), str(tmp_path / "out"), "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert "ingest: error:" in err and "missing.csv: source file not found" in err
    assert "Traceback" not in err


def test_cli_rejects_malformed_fractions(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["in.csv", str(tmp_path), "--fractions", "0.8,0.2"])
    assert exit_info.value.code == 2


def test_cli_takes_the_csv_options_a_config_gives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "in.csv"
    source.write_text("id;x\n" + "".join(f"{i};{i % 7}\n" for i in range(50)) + "50;n/a\n51\n")
    out = str(tmp_path / "out")
    assert main([str(source), out, "--log-format", "text"]) == 2
    assert f"{source}: line 53: expected 2 columns, found 1: '51'" in capsys.readouterr().err
    options = ["--csv-delimiter", ";", "--csv-null", "n/a", "--csv-skip-bad-rows", "--log-format", "text"]
    assert main([str(source), out, *options]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert sum(summary["rows"].values()) == 51 and summary["skipped_rows"] == 1
    assert pq.read_table(tmp_path / "out" / "train.parquet").schema.field("x").type == pa.int64()
