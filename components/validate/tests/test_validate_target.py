"""The label column is checked as train needs it, on tables written here with each defect."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from validate.errors import DataValidationError
from validate.splits import validate_splits


def _write(folder: Path, name: str, columns: dict[str, list]) -> str:
    path = folder / f"{name}.parquet"
    pq.write_table(pa.table(columns), path)
    return str(path)


def _splits(tmp_path: Path, target: list, valid: list | None = None, test: list | None = None) -> dict[str, str]:
    """Three splits with a numeric feature and `target` as the label column `price`."""
    valid = valid if valid is not None else target[:4]
    test = test if test is not None else target[:4]
    return {
        name: _write(tmp_path, name, {"size": [float(i) for i in range(len(labels))], "price": labels})
        for name, labels in (("train", target), ("valid", valid), ("test", test))
    }


def _validate(tmp_path: Path, datasets: dict[str, str], target: str = "", problem_type: str = "") -> None:
    out = (str(tmp_path / "schema.json"), str(tmp_path / "report.md"))
    validate_splits(datasets, *out, target=target, problem_type=problem_type)


def test_null_labels_fail_although_the_inferred_schema_allows_them(tmp_path: Path) -> None:
    # 1 in 20 labels empty (5%): the schema inferred from train allows that null rate.
    prices = [100.0 + i for i in range(19)] + [None]
    datasets = _splits(tmp_path, prices)
    _validate(tmp_path, datasets)  # without a target: passes, as before
    (tmp_path / "schema.json").unlink()
    with pytest.raises(DataValidationError) as error:
        _validate(tmp_path, datasets, target="price", problem_type="regression")
    message = str(error.value)
    assert message == (
        "train split: 1 violation: column 'price': target 1 null value (5.0% of rows), "
        "expected no nulls: every row needs a label"
    )
    assert not (tmp_path / "schema.json").exists()  # later steps get nothing
    assert "every row needs a label" in (tmp_path / "report.md").read_text()


def test_a_text_target_does_not_fit_regression(tmp_path: Path) -> None:
    datasets = _splits(tmp_path, ["cheap", "dear"] * 5)
    with pytest.raises(DataValidationError, match=r"column 'price': target VARCHAR, expected a number for regression"):
        _validate(tmp_path, datasets, target="price", problem_type="regression")


def test_a_continuous_target_does_not_fit_classification(tmp_path: Path) -> None:
    datasets = _splits(tmp_path, [0.5 * i + 0.25 for i in range(12)])
    with pytest.raises(DataValidationError, match=r"target 12 fractional values: a continuous target \(regression\?\)"):
        _validate(tmp_path, datasets, target="price", problem_type="classification")


def test_classification_needs_two_classes_and_enough_rows_of_each_in_train(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match=r"target 1 class \(yes\), expected at least 2 classes"):
        _validate(tmp_path, _splits(tmp_path, ["yes"] * 10), target="price", problem_type="classification")
    rare = ["no"] * 10 + ["yes"] * 2
    with pytest.raises(DataValidationError) as error:
        _validate(tmp_path, _splits(tmp_path, rare, ["no", "yes"], ["no", "yes"]), target="price",
                  problem_type="classification")  # fmt: skip
    assert str(error.value) == (
        "train split: 1 violation: column 'price': target 1 class with fewer ('yes': 2 rows), "
        "expected at least 5 rows per class"
    )
    # Enough of each class in train; valid and test need two classes, not five rows of each.
    _validate(tmp_path, _splits(tmp_path, ["no"] * 5 + ["yes"] * 5, ["no", "yes"], ["yes", "no"]),
              target="price", problem_type="classification")  # fmt: skip


def test_a_test_split_with_one_class_fails(tmp_path: Path) -> None:
    datasets = _splits(tmp_path, [0, 1] * 6, valid=[0, 1], test=[0, 0, 0])
    with pytest.raises(DataValidationError, match=r"^test split: 1 violation: column 'price': target 1 class \(0\)"):
        _validate(tmp_path, datasets, target="price", problem_type="classification")


def test_a_missing_target_column_is_named(tmp_path: Path) -> None:
    datasets = _splits(tmp_path, [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(DataValidationError, match=r"column 'label': target missing, expected the label column"):
        _validate(tmp_path, datasets, target="label", problem_type="regression")


def test_the_wrapper_passes_target_and_problem_type_on(tmp_path: Path) -> None:
    from kfp.dsl import Artifact, Dataset, Markdown

    from validate.component import validate

    paths = _splits(tmp_path, [100.0 + i for i in range(19)] + [None])
    data = {split: Dataset(name=split, uri=path, metadata={}) for split, path in paths.items()}
    schema = Artifact(name="schema", uri=str(tmp_path / "out" / "schema"), metadata={})
    report = Markdown(name="report", uri=str(tmp_path / "out" / "report"), metadata={})
    with pytest.raises(DataValidationError, match="column 'price': target 1 null value"):
        validate(data["train"], data["valid"], data["test"], schema, report, target="price", problem_type="regression")
    assert not Path(schema.path).exists()


def test_the_cli_checks_the_target_when_asked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from validate.cli import main

    path = _write(tmp_path, "labels", {"size": [1.0, 2.0, 3.0, 4.0], "price": [1.0, None, 3.0, 4.0]})
    base = [path, "--infer-schema-to", str(tmp_path / "schema.json"), "--log-format", "text"]
    assert main(base) == 0  # no --target: the inferred schema allows the null
    assert main([*base, "--target", "price", "--problem-type", "regression"]) == 2
    err = capsys.readouterr().err
    assert f"validate: error: {path}: 1 violation: column 'price': target 1 null value (25.0% of rows)" in err
    assert "Traceback" not in err
