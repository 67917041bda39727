"""The serving check before registration, on real bundles and raw test rows written here.

The test rows carry what clients send: nulls, a category training never saw, integers where the
model was fitted on floats. The check must pass on them, and fail for a model whose served
predictions differ from its evaluated ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from kfp.dsl import Artifact, Dataset, Metrics, Model
from sklearn.base import BaseEstimator, ClassifierMixin

from mlops.model_bundle import save_bundle
from mlops.testing.bundles import fit_bundle, write_splits
from serve.check import TOLERANCE, ServingCheckError, check_serving
from serve.component import build_component, serving_check

pytest_plugins = ["serve_fixtures"]  # fixtures: see serve_fixtures.py


def raw_test_rows(folder: Path, problem: str, rows: int = 120) -> str:
    """Sample test rows of `problem`, with the defects of real requests written into them."""
    path = write_splits(folder, problem, {"test": (rows, 9)})["test"]
    frame = pd.read_parquet(path)
    if problem == "churn":
        frame.loc[0:4, "monthly_charges"] = np.nan
        frame.loc[5:9, "contract_type"] = "lifetime"  # never seen in training
        frame.loc[10:14, "region"] = None
    else:
        frame.loc[0:4, "outdoor_temp_c"] = np.nan
        frame.loc[5:9, "building_type"] = "castle"
    frame.to_parquet(path)
    return path


@pytest.mark.parametrize("problem", ["churn", "energy"])
def test_the_served_form_agrees_with_the_evaluated_one(bundles: dict[str, str], tmp_path: Path, problem: str) -> None:
    result = check_serving(bundles[problem], raw_test_rows(tmp_path, problem), latency_rows=50)
    assert result.passed and result.rows == 120 and result.latency_rows == 50
    assert result.max_abs_difference <= TOLERANCE and result.label_mismatches == 0
    assert 0 < result.p50_ms <= result.p99_ms
    assert set(result.metrics()) == {
        "serving_parity_max_abs_difference",
        "serving_label_mismatches",
        "serving_p50_ms",
        "serving_p99_ms",
    }


class CoinFlipClassifier(ClassifierMixin, BaseEstimator):
    """A 'model' that never predicts the same twice: its served and evaluated forms disagree."""

    def fit(self, features: Any, labels: Any) -> CoinFlipClassifier:
        self.classes_ = np.unique(labels)
        return self

    def predict_proba(self, features: Any) -> np.ndarray:
        first = np.random.default_rng().random(len(features))
        return np.column_stack([first, 1 - first])

    def predict(self, features: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(features), axis=1)]


def test_a_model_whose_served_predictions_differ_fails_naming_the_worst_row(tmp_path: Path) -> None:
    train = write_splits(tmp_path, "churn", {"train": (200, 1)})["train"]
    bundle = fit_bundle("churn", train, "linear")
    bundle.pipeline.steps[-1] = ("model", CoinFlipClassifier().fit(None, bundle.pipeline.classes_))
    save_bundle(bundle, str(tmp_path / "coin"))
    message = r"the served model disagrees with the evaluated one on \d+ of 120 test rows .* worst: test row \d+"
    with pytest.raises(ServingCheckError, match=message + r".*the model is not registered"):
        check_serving(str(tmp_path / "coin"), raw_test_rows(tmp_path, "churn"))


def test_an_empty_test_split_is_refused(bundles: dict[str, str], tmp_path: Path) -> None:
    path = raw_test_rows(tmp_path, "churn")
    pd.read_parquet(path).iloc[0:0].to_parquet(path)
    with pytest.raises(ServingCheckError, match="the test split has no rows"):
        check_serving(bundles["churn"], path)


def test_the_step_records_metrics_and_the_check(bundles: dict[str, str], tmp_path: Path) -> None:
    metrics = Metrics(name="metrics", uri=str(tmp_path / "metrics"), metadata={})
    check = Artifact(name="check", uri=str(tmp_path / "check.json"), metadata={})
    model = Model(name="model", uri=bundles["churn"], metadata={})
    test = Dataset(name="test", uri=raw_test_rows(tmp_path, "churn"), metadata={})
    p99 = serving_check(model, test, metrics, check)
    recorded = json.loads(Path(check.path).read_text())
    assert recorded["passed"] is True and recorded["p99_ms"] == p99 == metrics.metadata["serving_p99_ms"]
    assert metrics.metadata["serving_label_mismatches"] == 0


def test_build_component_binds_the_image() -> None:
    component = build_component("registry.test/vertex-mlops/serve:abc123")
    assert component.component_spec.implementation.container.image == "registry.test/vertex-mlops/serve:abc123"
