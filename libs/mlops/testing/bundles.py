"""Small real model bundles for tests, built with scikit-learn and LightGBM directly.

Steps that read bundles (evaluate, champion/challenger, register, serving) test against real
fitted models without importing the train component: a component never imports another one.
The pipelines hold only scikit-learn, LightGBM and `mlops.model_bundle` objects, so a bundle
built here loads in any component image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from mlops.contracts import Evaluation
from mlops.model_bundle import BundleInfo, ModelBundle, categorical_as_text, feature_frame
from mlops.sample_data import SampleSpec, write
from mlops.scoring import score

# The sample problems of mlops.sample_data, as a model sees them.
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
KINDS = ("linear", "lightgbm", "dummy")


def write_splits(folder: Path, problem: str, splits: dict[str, tuple[int, int]]) -> dict[str, str]:
    """Write `split -> (rows, seed)` sample tables of `problem` as Parquet; returns split -> path."""
    paths = {}
    for split, (rows, seed) in splits.items():
        path = folder / f"{problem}-{split}.parquet"
        write(SampleSpec(problem, rows, seed), path)
        paths[split] = str(path)
    return paths


def fit_bundle(problem: str, train_path: str, kind: str = "linear", **info: Any) -> ModelBundle:
    """A bundle of `problem` fitted on the Parquet file `train_path`.

    Args:
        problem: "churn" (classification) or "energy" (regression).
        kind: "linear" (logistic regression / ridge on scaled numbers and one-hot categories),
            "lightgbm" (40 trees, ordinal categories) or "dummy" (predicts the training prior or
            mean: a model any real one beats).
        info: further BundleInfo fields (model_type, code, ...).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    spec = PROBLEMS[problem]
    description = BundleInfo(**{"model_type": f"{kind}-test", **spec, **info})
    train = pq.read_table(train_path).to_pandas()
    pipeline = Pipeline([("preprocess", _preprocess(spec, kind)), ("model", _estimator(spec["problem_type"], kind))])
    pipeline.fit(feature_frame(description, train), train[spec["target"]])
    if spec["problem_type"] == "classification":
        description.classes = [label.item() if hasattr(label, "item") else label for label in pipeline.classes_]
    return ModelBundle(pipeline=pipeline, info=description)


def evaluation_of(bundle: ModelBundle, test_path: str) -> Evaluation:
    """The record the evaluate step writes for `bundle` on the Parquet file `test_path`."""
    test = pd.read_parquet(test_path)
    return Evaluation(problem_type=bundle.info.problem_type, metrics=score(bundle, test).metrics, rows=len(test))


def _preprocess(spec: dict[str, Any], kind: str) -> ColumnTransformer:
    as_text = FunctionTransformer(categorical_as_text, feature_names_out="one-to-one")
    if kind == "lightgbm":
        numeric: Any = "passthrough"
        encoder: Any = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    else:
        numeric, encoder = make_pipeline(SimpleImputer(), StandardScaler()), OneHotEncoder(handle_unknown="ignore")
    categorical = make_pipeline(as_text, SimpleImputer(strategy="constant", fill_value="missing"), encoder)
    return ColumnTransformer(
        [("numeric", numeric, spec["numeric_features"]), ("categorical", categorical, spec["categorical_features"])],
        sparse_threshold=0.0,
    )


def _estimator(problem_type: str, kind: str) -> Any:
    classification = problem_type == "classification"
    if kind == "lightgbm":
        options: dict[str, Any] = {"n_estimators": 40, "random_state": 7, "n_jobs": 1, "verbose": -1}
        return LGBMClassifier(**options) if classification else LGBMRegressor(**options)
    if kind == "linear":
        return LogisticRegression(max_iter=500) if classification else Ridge()
    return DummyClassifier(strategy="prior") if classification else DummyRegressor()
