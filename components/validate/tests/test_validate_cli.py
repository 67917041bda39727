from __future__ import annotations

import json
from pathlib import Path

import pytest

from validate.cli import main
from validate.schema import load_schema

pytest_plugins = ["validate_fixtures"]  # fixtures: see validate_fixtures.py


def test_cli_infers_a_schema_and_writes_an_html_report(
    clean_splits: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schema, report = tmp_path / "schema.yaml", tmp_path / "report.html"
    args = [clean_splits["train"], "--infer-schema-to", str(schema), "--report", str(report), "--log-format", "text"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"rows": 4000, "passed": True, "warnings": [], "schema": str(schema), "report": str(report)}
    assert load_schema(str(schema)).columns["region"].categories == ["east", "north", "south", "west"]
    assert "<h2>" in report.read_text() and "passed" in report.read_text()


def test_cli_exits_2_naming_every_violation_and_still_writes_the_report(
    clean_splits: dict[str, str], bad_split: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    infer = [clean_splits["train"], "--infer-schema-to", str(tmp_path / "schema.json"), "--log-format", "text"]
    assert main(infer) == 0
    capsys.readouterr()
    report = tmp_path / "report.md"
    args = [bad_split, "--schema", str(tmp_path / "schema.json"), "--report", str(report), "--log-format", "text"]
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert f"validate: error: {bad_split}: 3 violations: column 'tenure_months': null rate" in captured.err
    assert "unknown categories 'UNKNOWN'" in captured.err
    assert "FAILED" in report.read_text()
    assert main([*args, "--max-violation-rate", "0.05"]) == 0
    assert len(json.loads(capsys.readouterr().out)["warnings"]) == 3


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--schema", "missing.yaml"], "validate: error: missing.yaml: schema file not found"),
        (["--schema", "s.json", "--max-violation-rate", "2"], "max_violation_rate must be between 0 and 1, got 2.0"),
    ],
)
def test_cli_reports_bad_input_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, extra: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.json").write_text('{"columns": {"x": {"kind": "float"}}}')
    assert main(["data.parquet", *extra, "--log-format", "text"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_needs_exactly_one_schema_source_and_a_known_report_format(tmp_path: Path) -> None:
    for args in (["d.parquet"], ["d.parquet", "--schema", "a.json", "--infer-schema-to", "b.json"]):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["d.parquet", "--schema", "a.json", "--report", str(tmp_path / "report.pdf")])
    assert exit_info.value.code == 2


def test_cli_names_a_missing_data_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s.json").write_text('{"columns": {"x": {"kind": "float"}}}')
    assert main([str(tmp_path / "nope.parquet"), "--schema", str(tmp_path / "s.json"), "--log-format", "text"]) == 2
    assert "nope.parquet: Parquet file not found" in capsys.readouterr().err
