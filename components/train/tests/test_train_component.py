"""The KFP wrapper, called directly with KFP artifacts (the kfp.local run is in test_train_pipeline.py)."""

import json
import math
from pathlib import Path
from typing import Any

import pytest
from kfp.dsl import Dataset, Model

from mlops.model_bundle import load_bundle
from mlops.monitoring.baseline import load_baseline
from train.component import build_component, train
from train.core import TrainError

pytest_plugins = ["train_fixtures"]  # fixtures: see train_fixtures.py


def datasets(paths: dict[str, str]) -> tuple[Dataset, Dataset]:
    train_data = Dataset(name="train", uri=paths["train"], metadata={"source": "sample://churn"})
    return train_data, Dataset(name="valid", uri=paths["valid"], metadata={})


def test_wrapper_saves_the_bundle_and_sets_metadata(
    splits: dict[str, dict[str, str]], problems: dict[str, Any], tmp_path: Path
) -> None:
    model = Model(name="model", uri=str(tmp_path / "model"), metadata={})
    auc = train(
        *datasets(splits["churn"]),
        model,
        **problems["churn"],
        hyperparameters={"n_estimators": 30.0, "learning_rate": 0.1},  # as KFP passes them: floats
        transforms=[{"op": "passthrough", "name": "region", "column": "region"}],
        git_commit="deadbeef",
        image="localhost:5000/vertex-mlops/train:abc",
    )
    bundle = load_bundle(model.path)
    assert auc == pytest.approx(bundle.info.validation_metrics["auc"]) and 0.6 < auc < 1
    assert bundle.info.hyperparameters["n_estimators"] == 30
    assert bundle.info.data_snapshot["source"] == "sample://churn", "taken from the dataset's metadata"
    assert bundle.info.transforms == [{"op": "passthrough", "name": "region", "column": "region"}]
    assert model.metadata["framework"] == "scikit-learn" and model.metadata["problem_type"] == "classification"
    assert model.metadata["validation_metrics"]["auc"] == auc
    assert json.loads((Path(model.path) / "bundle.json").read_text())["code"]["git_commit"] == "deadbeef"
    # No raw split given: the baseline comes from train_data, which holds the raw columns here.
    baseline = load_baseline(model.path)
    churn = problems["churn"]
    assert list(baseline.features) == [*churn["numeric_features"], *churn["categorical_features"]]
    assert baseline.rows == 1500 and (baseline.numeric_bins, baseline.top_categories) == (10, 50)
    assert model.metadata["baseline_features"] == list(baseline.features)


def test_wrapper_returns_rmse_for_regression(
    splits: dict[str, dict[str, str]], problems: dict[str, Any], tmp_path: Path
) -> None:
    model = Model(name="model", uri=str(tmp_path / "model"), metadata={})
    rmse = train(*datasets(splits["energy"]), model, **problems["energy"], model_type="linear")
    assert rmse == pytest.approx(model.metadata["validation_metrics"]["rmse"]) and not math.isnan(rmse)


def test_wrapper_writes_nothing_on_bad_input(
    splits: dict[str, dict[str, str]], problems: dict[str, Any], tmp_path: Path
) -> None:
    model = Model(name="model", uri=str(tmp_path / "model"), metadata={})
    with pytest.raises(TrainError, match=r"unknown lightgbm hyperparameter\(s\) \['n_trees'\]"):
        train(*datasets(splits["churn"]), model, **problems["churn"], hyperparameters={"n_trees": 10})
    assert not Path(model.path).exists() and model.metadata == {}


def test_build_component_binds_the_image() -> None:
    component = build_component("localhost:5000/vertex-mlops/train:abc")
    container = component.component_spec.implementation.container
    assert container.image == "localhost:5000/vertex-mlops/train:abc"
    assert set(component.component_spec.inputs) >= {"train_data", "valid_data", "hyperparameters", "seed"}
