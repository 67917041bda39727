from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.compose import ColumnTransformer

from mlops.metrics import compute_metrics
from mlops.model_bundle import load_bundle, predict, predict_proba, save_bundle
from train.core import TrainError, TrainSpec, train_model

pytest_plugins = ["train_fixtures"]  # fixtures: see train_fixtures.py

Spec = Callable[..., TrainSpec]


@pytest.mark.parametrize("model_type", ["lightgbm", "random_forest", "linear"])
@pytest.mark.parametrize("problem", ["churn", "energy"])
def test_every_model_type_learns_and_round_trips(
    splits: dict[str, dict[str, str]], problem: str, model_type: str, tmp_path: Path, spec: Spec
) -> None:
    paths = splits[problem]
    bundle = train_model(paths["train"], paths["valid"], spec(problem, model_type), data_source="sample://x")
    test = pd.read_parquet(paths["test"])
    truth = test[bundle.info.target]
    if problem == "churn":
        held_out = compute_metrics("classification", truth, predict(bundle, test), predict_proba(bundle, test), [0, 1])
        assert held_out["auc"] > 0.7, held_out
        assert bundle.info.classes == [0, 1] and 0.6 < bundle.info.validation_metrics["auc"] < 1
    else:
        held_out = compute_metrics("regression", truth, predict(bundle, test))
        assert held_out["r2"] > 0.6, held_out
        assert set(bundle.info.validation_metrics) == {"rmse", "mae", "r2"}
    save_bundle(bundle, str(tmp_path / "model"))
    loaded = load_bundle(str(tmp_path / "model"))
    np.testing.assert_array_equal(predict(loaded, test), predict(bundle, test))
    assert loaded.info.model_type == model_type


def test_pipeline_holds_the_fitted_transform_and_scores_raw_rows(churn: dict[str, str], spec: Spec) -> None:
    bundle = train_model(churn["train"], churn["valid"], spec("churn"))
    assert isinstance(bundle.pipeline.steps[0][1], ColumnTransformer)
    raw = pd.DataFrame(
        {
            "tenure_months": [3, None, "12.5"],
            "monthly_charges": [99.0, 20.0, None],
            "support_calls": [5, 0, 1],
            "contract_type": ["monthly", "lifetime", None],  # "lifetime" was never seen in training
            "payment_method": ["invoice", "card", "crypto"],
            "region": ["north", "mars", "east"],
        }
    )
    proba = predict_proba(bundle, raw)
    assert proba.shape == (3, 2) and np.allclose(proba.sum(axis=1), 1)
    assert proba[0, 1] > proba[1, 1], "a new monthly customer with many calls churns more than a quiet one"


def test_data_snapshot_identifies_the_training_data(churn: dict[str, str], spec: Spec) -> None:
    bundle = train_model(
        churn["train"], churn["valid"], spec("churn", "linear"), data_source="gs://b/churn.parquet", git_commit="abc"
    )
    snapshot = bundle.info.data_snapshot
    assert snapshot["rows"] == {"train": 1500, "valid": 400}
    assert snapshot["source"] == "gs://b/churn.parquet"
    assert (
        snapshot["fingerprints"]["train"] == "sha256:" + hashlib.sha256(Path(churn["train"]).read_bytes()).hexdigest()
    )
    assert snapshot["columns"][-1] == "churned" and "region" in snapshot["columns"]
    assert bundle.info.code == {"git_commit": "abc", "image": ""}
    assert bundle.info.hyperparameters["C"] == 1.0 and bundle.info.hyperparameters["random_state"] == 42


def test_training_is_deterministic_for_a_seed(churn: dict[str, str], spec: Spec) -> None:
    first = train_model(churn["train"], churn["valid"], spec("churn", seed=7))
    second = train_model(churn["train"], churn["valid"], spec("churn", seed=7))
    test = pd.read_parquet(churn["test"])
    np.testing.assert_array_equal(predict_proba(first, test), predict_proba(second, test))


def test_integer_hyperparameters_sent_as_floats_are_restored(churn: dict[str, str], spec: Spec) -> None:
    bundle = train_model(churn["train"], churn["valid"], spec("churn", hyperparameters={"n_estimators": 20.0}))
    assert bundle.pipeline.named_steps["model"].n_estimators == 20
    assert isinstance(bundle.info.hyperparameters["n_estimators"], int)
    with pytest.raises(TrainError, match="hyperparameter 'num_leaves' must be an integer, got 7.5"):
        spec("churn", hyperparameters={"num_leaves": 7.5}).validate()


def test_unknown_model_type_and_hyperparameters_are_named(churn: dict[str, str], spec: Spec) -> None:
    with pytest.raises(
        TrainError, match="unknown model_type 'xgboost'; expected one of lightgbm, random_forest, linear"
    ):
        train_model(churn["train"], churn["valid"], spec("churn", model_type="xgboost", hyperparameters={}))
    with pytest.raises(TrainError, match=r"unknown random_forest hyperparameter\(s\) \['learning_rate'\]") as error:
        train_model(
            churn["train"], churn["valid"], spec("churn", "random_forest", hyperparameters={"learning_rate": 1})
        )
    assert "valid names are: bootstrap, ccp_alpha" in str(error.value) and "n_estimators" in str(error.value)
    with pytest.raises(TrainError, match="set the seed with `seed`"):
        spec("churn", "linear", hyperparameters={"random_state": 1}).validate()
    with pytest.raises(TrainError, match="fitting linear on .* failed: .*'C' parameter"):
        train_model(churn["train"], churn["valid"], spec("churn", "linear", hyperparameters={"C": -1}))


def write(tmp_path: Path, name: str, table: pa.Table) -> str:
    path = tmp_path / name
    pq.write_table(table, path)
    return str(path)


def test_missing_column_names_file_and_column(churn: dict[str, str], tmp_path: Path, spec: Spec) -> None:
    table = pq.read_table(churn["train"]).drop_columns(["region"])
    path = write(tmp_path, "no-region.parquet", table)
    with pytest.raises(TrainError, match=rf"{path}: missing column\(s\) \['region'\]; columns are: entity_id"):
        train_model(path, churn["valid"], spec("churn"))


def test_wrong_type_names_file_column_and_type(churn: dict[str, str], tmp_path: Path, spec: Spec) -> None:
    table = pq.read_table(churn["valid"])
    text = pa.array([str(v) for v in table.column("tenure_months").to_pylist()])
    path = write(
        tmp_path, "text.parquet", table.set_column(table.schema.get_field_index("tenure_months"), "tenure_months", text)
    )
    with pytest.raises(
        TrainError, match=f"{path}: numeric feature column 'tenure_months' has type string; expected a number"
    ):
        train_model(churn["train"], path, spec("churn"))
    floats = table.set_column(table.schema.get_field_index("churned"), "churned", pa.array([0.5] * table.num_rows))
    path = write(tmp_path, "float-label.parquet", floats)
    with pytest.raises(TrainError, match="target column 'churned' has type double; expected a class label"):
        train_model(churn["train"], path, spec("churn"))


def test_empty_table_null_target_and_single_class_are_named(churn: dict[str, str], tmp_path: Path, spec: Spec) -> None:
    table = pq.read_table(churn["train"])
    empty = write(tmp_path, "empty.parquet", table.slice(0, 0))
    with pytest.raises(TrainError, match=f"{empty}: table is empty"):
        train_model(empty, churn["valid"], spec("churn"))
    labels = pa.array([None] + table.column("churned").to_pylist()[1:], pa.int64())
    nulls = write(
        tmp_path, "nulls.parquet", table.set_column(table.schema.get_field_index("churned"), "churned", labels)
    )
    with pytest.raises(TrainError, match=f"{nulls}: target column 'churned' has 1 null value"):
        train_model(nulls, churn["valid"], spec("churn"))
    ones = table.set_column(table.schema.get_field_index("churned"), "churned", pa.array([1] * table.num_rows))
    single = write(tmp_path, "single.parquet", ones)
    with pytest.raises(TrainError, match=f"{single}: target 'churned' has only the class"):
        train_model(single, churn["valid"], spec("churn"))


def test_unreadable_files_and_inconsistent_specs_are_named(churn: dict[str, str], tmp_path: Path, spec: Spec) -> None:
    with pytest.raises(TrainError, match=f"{tmp_path / 'absent.parquet'}: no such file"):
        train_model(str(tmp_path / "absent.parquet"), churn["valid"], spec("churn"))
    (tmp_path / "notes.parquet").write_text("not parquet")
    with pytest.raises(TrainError, match="notes.parquet: cannot read as Parquet"):
        train_model(str(tmp_path / "notes.parquet"), churn["valid"], spec("churn"))
    with pytest.raises(TrainError, match="problem_type must be one of classification, regression, got 'ranking'"):
        spec("churn", problem_type="ranking").validate()
    with pytest.raises(TrainError, match="target column 'churned' is also listed as a feature"):
        spec("churn", numeric_features=["churned"]).validate()
    with pytest.raises(TrainError, match=r"feature column\(s\) \['region'\] listed more than once"):
        spec("churn", numeric_features=["region"]).validate()
