"""The KFP wrapper: called directly with KFP artifacts, and run as a pipeline step by kfp.local."""

import json
from pathlib import Path

import pytest
from kfp import dsl, local
from kfp.dsl import Artifact, Dataset, Markdown, Output

from validate.component import build_component, validate
from validate.errors import DataValidationError, SchemaError
from validate.schema import infer_schema, load_schema, save_schema

pytest_plugins = ["validate_fixtures"]  # fixtures: see validate_fixtures.py


def datasets(paths: dict[str, str]) -> dict[str, Dataset]:
    return {split: Dataset(name=split, uri=path, metadata={}) for split, path in paths.items()}


def outputs(folder: Path) -> tuple[Artifact, Markdown]:
    return Artifact(name="schema", uri=str(folder / "schema"), metadata={}), Markdown(
        name="report", uri=str(folder / "report"), metadata={}
    )


def test_wrapper_infers_the_schema_from_train_and_stores_it(clean_splits: dict[str, str], tmp_path: Path) -> None:
    data = datasets(clean_splits)
    schema, report = outputs(tmp_path)
    rows = validate(data["train"], data["valid"], data["test"], schema, report)
    assert rows == 5000
    assert load_schema(schema.path) == infer_schema(clean_splits["train"])
    assert json.loads(Path(schema.path).read_text())["inferred_from"]["source"] == clean_splits["train"]
    assert schema.metadata["columns"] == 9 and "train split" in schema.metadata["source"]
    assert report.metadata == {"passed": True, "warnings": 0, "rows": {"train": 4000, "valid": 500, "test": 500}}
    text = Path(report.path).read_text()
    assert "Result: passed: all 3 tables." in text and "## test split: passed" in text


def test_wrapper_fails_naming_every_violation_but_still_writes_the_report(
    clean_splits: dict[str, str], bad_split: str, tmp_path: Path
) -> None:
    data = datasets({**clean_splits, "test": bad_split})
    schema, report = outputs(tmp_path)
    with pytest.raises(DataValidationError) as error:
        validate(data["train"], data["valid"], data["test"], schema, report)
    message = str(error.value)
    assert message.startswith("test split: 3 violations: column 'tenure_months': null rate")
    assert "values out of range" in message and "unknown categories 'UNKNOWN'" in message
    assert "valid split" not in message
    assert "## test split: FAILED" in Path(report.path).read_text()
    assert not Path(schema.path).exists()  # only a passing run stores its schema


def test_wrapper_uses_a_given_schema_and_threshold(
    clean_splits: dict[str, str], bad_split: str, tmp_path: Path
) -> None:
    save_schema(infer_schema(clean_splits["train"]), str(tmp_path / "contract.yaml"))
    data = datasets({**clean_splits, "train": bad_split})  # inferring from train would accept the bad rows
    schema, report = outputs(tmp_path)
    with pytest.raises(DataValidationError, match="^train split: 3 violations"):
        validate(data["train"], data["valid"], data["test"], schema, report, schema_uri=str(tmp_path / "contract.yaml"))
    rows = validate(
        data["train"], data["valid"], data["test"], schema, report,
        schema_uri=str(tmp_path / "contract.yaml"), max_violation_rate=0.05,
    )  # fmt: skip
    assert rows == 2000 and report.metadata["warnings"] == 3
    assert load_schema(schema.path) == load_schema(str(tmp_path / "contract.yaml"))
    assert f"from {tmp_path / 'contract.yaml'}" in Path(report.path).read_text()


def test_a_bad_schema_file_fails_before_any_check_and_says_so_in_the_report(
    clean_splits: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "schema.yaml").write_text("columns:\n  x: {knd: float}\n")
    data = datasets(clean_splits)
    schema, report = outputs(tmp_path)
    with pytest.raises(SchemaError, match=r"schema\.yaml: 2 problem\(s\) in schema"):
        validate(data["train"], data["valid"], data["test"], schema, report, schema_uri=str(tmp_path / "schema.yaml"))
    text = Path(report.path).read_text()
    assert "FAILED before any check ran" in text and "columns.x.knd: unknown key" in text


def make_splits(train: Output[Dataset], valid: Output[Dataset], test: Output[Dataset], bad_rows: float) -> None:
    """A stand-in for ingest: clean train and valid, and a test split with `bad_rows`."""
    from pathlib import Path

    from mlops.sample_data import SampleSpec, write

    write(SampleSpec(rows=2000, seed=1), Path(train.path))
    write(SampleSpec(rows=300, seed=2), Path(valid.path))
    write(SampleSpec(rows=300, seed=3, bad_row_fraction=bad_rows), Path(test.path))


def test_component_runs_as_a_pipeline_step_with_kfp_local(tmp_path: Path) -> None:
    root = tmp_path / "root"
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(root))
    splits_op = dsl.component(make_splits, base_image="python:3.11-slim", install_kfp_package=False)
    validate_op = build_component("example.invalid/validate:test")

    @dsl.pipeline(name="split-and-check")
    def pipeline(bad_rows: float) -> Markdown:
        splits = splits_op(bad_rows=bad_rows)
        checked = validate_op(
            train_data=splits.outputs["train"], valid_data=splits.outputs["valid"], test_data=splits.outputs["test"]
        )
        return checked.outputs["report"]

    task = pipeline(bad_rows=0.0)
    assert "Result: passed: all 3 tables." in Path(task.output.path).read_text()
    (step,) = (path.parent for path in root.rglob("executor_output.json") if path.parent.name == "validate")
    assert json.loads((step / "executor_output.json").read_text())["parameterValues"]["Output"] == 2600
    (schema_file,) = (path for path in step.rglob("schema") if path.is_file())
    assert load_schema(str(schema_file)).columns["contract_type"].categories == ["monthly", "one_year", "two_year"]
