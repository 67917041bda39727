"""Model types, their hyperparameters, and the preprocessing + estimator pipeline that is fitted.

The pipeline's first step is a `ColumnTransformer` fitted on the training split and saved with the
estimator, so serving applies exactly the transform the model was trained with (no train/serve skew).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import lightgbm
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from mlops.model_bundle import categorical_as_text

from .cpus import available_cpus
from .hyperparameters import normalize_hyperparameters

# LightGBM's OpenMP threads spin while waiting: on a busy 2-core machine one thread was 5-30x faster
# than two on 3k-100k rows. So LightGBM takes one thread up to this many CPUs, and all of them above.
# The n_jobs hyperparameter overrides either choice.
LIGHTGBM_SINGLE_THREAD_UP_TO = 2
MISSING_CATEGORY = "__missing__"

_ESTIMATORS: dict[tuple[str, str], Any] = {
    ("lightgbm", "classification"): lightgbm.LGBMClassifier,
    ("lightgbm", "regression"): lightgbm.LGBMRegressor,
    ("random_forest", "classification"): RandomForestClassifier,
    ("random_forest", "regression"): RandomForestRegressor,
    ("linear", "classification"): LogisticRegression,
    ("linear", "regression"): Ridge,
}


def _defaults(model_type: str, seed: int) -> dict[str, Any]:
    """Our estimator defaults; thread counts from the CPUs this step has (train.cpus), read now."""
    if model_type == "lightgbm":
        cpus = available_cpus()
        # deterministic + force_row_wise: identical models for identical data and seed.
        return {
            "random_state": seed,
            "n_jobs": 1 if cpus <= LIGHTGBM_SINGLE_THREAD_UP_TO else cpus,
            "verbose": -1,
            "deterministic": True,
            "force_row_wise": True,
        }
    if model_type == "random_forest":
        return {"random_state": seed, "n_jobs": available_cpus()}
    return {"random_state": seed, "max_iter": 1000} if model_type == "linear" else {}


def estimator_parameters(model_type: str, problem_type: str) -> list[str]:
    """The names the estimator itself accepts, minus random_state: what train.hyperparameters must list."""
    return sorted(set(_ESTIMATORS[model_type, problem_type]().get_params()) - {"random_state"})


def make_estimator(model_type: str, problem_type: str, hyperparameters: Mapping[str, Any], seed: int) -> Any:
    """An unfitted estimator with our defaults overridden by `hyperparameters`."""
    params = {**_defaults(model_type, seed), **normalize_hyperparameters(model_type, problem_type, hyperparameters)}
    return _ESTIMATORS[model_type, problem_type](**params)


def build_pipeline(
    model_type: str,
    problem_type: str,
    numeric: list[str],
    categorical: list[str],
    hyperparameters: Mapping[str, Any],
    seed: int,
) -> Pipeline:
    """Preprocessing fitted with the model: imputation and scaling for linear models, imputation for
    random forests, pass-through for LightGBM (it handles missing values); categoricals are one-hot
    encoded, or ordinal-encoded as LightGBM categorical features. Unseen categories are ignored."""
    numeric_steps: list[tuple[str, Any]] = []
    if model_type != "lightgbm":
        numeric_steps.append(("impute", SimpleImputer(strategy="median", keep_empty_features=True)))
    if model_type == "linear":
        numeric_steps.append(("scale", StandardScaler()))
    encoder: Any = (
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
        if model_type == "lightgbm"
        else OneHotEncoder(handle_unknown="ignore")
    )
    categorical_steps = [
        ("as_text", FunctionTransformer(categorical_as_text, feature_names_out="one-to-one")),
        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
        ("encode", encoder),
    ]
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(("numeric", Pipeline(numeric_steps) if numeric_steps else "passthrough", numeric))
    if categorical:
        transformers.append(("categorical", Pipeline(categorical_steps), categorical))
    preprocess = ColumnTransformer(transformers, sparse_threshold=0.0 if model_type == "lightgbm" else 0.3)
    return Pipeline(
        [("preprocess", preprocess), ("model", make_estimator(model_type, problem_type, hyperparameters, seed))]
    )


def fit_parameters(model_type: str, numeric: list[str], categorical: list[str]) -> dict[str, Any]:
    """Extra `Pipeline.fit` arguments: LightGBM is told which encoded columns are categorical."""
    if model_type != "lightgbm" or not categorical:
        return {}
    return {"model__categorical_feature": list(range(len(numeric), len(numeric) + len(categorical)))}
