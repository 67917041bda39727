"""Real models of different quality for the register tests, trained here with scikit-learn.

A "good" model uses every feature; a "poor" one predicts the training prior (classification) or
mean (regression). Both are saved with `mlops.model_bundle.save_bundle`, and each gets the
evaluation JSON the evaluate step would write for it on the test split.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlops.metrics import compute_metrics
from mlops.model_bundle import BundleInfo, ModelBundle, feature_frame, predict, predict_proba, save_bundle
from mlops.sample_data import SampleSpec, write

PROBLEMS: dict[str, dict[str, Any]] = {
    "churn": {
        "target": "churned",
        "problem_type": "classification",
        "numeric_features": ["tenure_months", "monthly_charges", "support_calls"],
        "categorical_features": ["contract_type", "payment_method", "region"],
    },
    "energy": {
        "target": "energy_kwh",
        "problem_type": "regression",
        "numeric_features": ["floor_area_m2", "outdoor_temp_c", "occupancy_rate"],
        "categorical_features": ["building_type", "insulation"],
    },
}


@dataclass
class Trained:
    """A saved bundle, its evaluation JSON (file and content) and the test split it was scored on."""

    bundle: str
    evaluation_path: str
    evaluation: dict[str, Any]
    test: str


def _fit(problem: str, quality: str, train: Any) -> ModelBundle:
    spec = PROBLEMS[problem]
    info = BundleInfo(model_type=f"{quality}-sklearn", classes=[], **spec)
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(), StandardScaler()), spec["numeric_features"]),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), spec["categorical_features"]),
        ]
    )
    classification = spec["problem_type"] == "classification"
    if quality == "good":
        estimator = LogisticRegression(max_iter=500) if classification else Ridge()
    else:
        estimator = DummyClassifier(strategy="prior") if classification else DummyRegressor()
    pipeline = Pipeline([("features", preprocess), ("model", estimator)])
    pipeline.fit(feature_frame(info, train), train[spec["target"]])
    if classification:
        info.classes = [c.item() if hasattr(c, "item") else c for c in pipeline.classes_]
    return ModelBundle(pipeline=pipeline, info=info)


def _evaluation(bundle: ModelBundle, test: Any) -> dict[str, Any]:
    """What the evaluate step writes: `{"problem_type", "metrics", "rows"}`."""
    info = bundle.info
    truth, predicted = test[info.target].to_numpy(), predict(bundle, test)
    if info.problem_type == "regression":
        metrics = compute_metrics("regression", truth, predicted)
    else:
        metrics = compute_metrics("classification", truth, predicted, predict_proba(bundle, test), info.classes)
    return {"problem_type": info.problem_type, "metrics": metrics, "rows": len(test)}


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Trained]]:
    """problem ("churn", "energy") -> quality ("good", "poor") -> Trained."""
    folder = tmp_path_factory.mktemp("models")
    result: dict[str, dict[str, Trained]] = {}
    for problem in PROBLEMS:
        train_path, test_path = folder / f"{problem}-train.parquet", folder / f"{problem}-test.parquet"
        write(SampleSpec(problem, 1200, 21), train_path)
        write(SampleSpec(problem, 600, 22), test_path)
        train, test = pq.read_table(train_path).to_pandas(), pq.read_table(test_path).to_pandas()
        for quality in ("good", "poor"):
            bundle = _fit(problem, quality, train)
            target = folder / f"{problem}-{quality}"
            save_bundle(bundle, str(target))
            evaluation = _evaluation(bundle, test)
            evaluation_path = folder / f"{problem}-{quality}-evaluation.json"
            evaluation_path.write_text(json.dumps(evaluation))
            result.setdefault(problem, {})[quality] = Trained(
                str(target), str(evaluation_path), evaluation, str(test_path)
            )
    return result


@pytest.fixture()
def churn(models: dict[str, dict[str, Trained]]) -> dict[str, Trained]:
    return models["churn"]


@pytest.fixture()
def energy(models: dict[str, dict[str, Trained]]) -> dict[str, Trained]:
    return models["energy"]


def write_json(path: Path, document: dict[str, Any]) -> str:
    path.write_text(json.dumps(document))
    return str(path)
