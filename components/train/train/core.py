"""Train: fit a preprocessing + model pipeline on the train split, score it on the valid split, and
return it as a model bundle (mlops.model_bundle) with its model card data.

The model types are LightGBM, random forest and a linear model (logistic regression or ridge), for
classification and regression, with hyperparameters checked against the estimator's own names.
"""

from __future__ import annotations

import platform
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import sklearn

from mlops.metrics import MODEL_TYPES, PRIMARY_METRIC, PROBLEM_TYPES
from mlops.model_bundle import BundleError, BundleInfo, ModelBundle, feature_frame, save_bundle
from mlops.monitoring.baseline import Baseline, save_baseline
from mlops.scoring import score

# Relative imports: ruff sorts them the same whether or not it sees this folder as a package.
from .data import DataError, fingerprint, read_split
from .estimators import build_pipeline, fit_parameters
from .hyperparameters import HyperparameterError, normalize_hyperparameters


class TrainError(Exception):
    """Bad input to train. The message names the file, column, value or hyperparameter at fault."""


@dataclass(frozen=True)
class TrainSpec:
    """What to train: the target, the feature columns, the model type and its hyperparameters."""

    target: str
    problem_type: str
    numeric_features: Sequence[str] = ()
    categorical_features: Sequence[str] = ()
    model_type: str = "lightgbm"
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 42

    def validate(self) -> None:
        """Raise TrainError for an unknown problem or model type, bad columns or hyperparameters."""
        if self.problem_type not in PROBLEM_TYPES:
            raise TrainError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {self.problem_type!r}")
        if self.model_type not in MODEL_TYPES:
            raise TrainError(f"unknown model_type {self.model_type!r}; expected one of {', '.join(MODEL_TYPES)}")
        if not self.target:
            raise TrainError("target must name the label column")
        features = [*self.numeric_features, *self.categorical_features]
        if not features:
            raise TrainError("no features: give numeric_features and/or categorical_features")
        if duplicated := sorted({name for name in features if features.count(name) > 1}):
            raise TrainError(f"feature column(s) {duplicated} listed more than once (numeric and categorical?)")
        if self.target in features:
            raise TrainError(f"target column {self.target!r} is also listed as a feature")
        self.normalized_hyperparameters()

    def normalized_hyperparameters(self) -> dict[str, Any]:
        """The hyperparameters with valid names only and integers restored (KFP sends them as floats)."""
        try:
            return normalize_hyperparameters(self.model_type, self.problem_type, self.hyperparameters)
        except HyperparameterError as error:
            raise TrainError(str(error)) from None


def train_model(
    train_path: str,
    valid_path: str,
    spec: TrainSpec,
    *,
    transforms: Sequence[Mapping[str, Any]] = (),
    data_source: str = "",
    git_commit: str = "",
    image: str = "",
) -> ModelBundle:
    """Fit `spec`'s model on the Parquet file `train_path` and score it on `valid_path`.

    Args:
        train_path, valid_path: Parquet files (local paths or URIs) with the feature and target columns.
        spec: target, features, model type and hyperparameters.
        transforms: the feature transforms declared upstream (features step), stored as given.
        data_source: URI of the data the splits came from, for the data snapshot.
        git_commit, image: the code identity recorded in the model card.

    Returns:
        The fitted bundle; write it with `mlops.model_bundle.save_bundle`.
    """
    spec.validate()
    numeric, categorical = list(spec.numeric_features), list(spec.categorical_features)
    hyperparameters = spec.normalized_hyperparameters()
    try:
        train = read_split(train_path, numeric, categorical, spec.target, spec.problem_type)
        valid = read_split(valid_path, numeric, categorical, spec.target, spec.problem_type)
    except DataError as error:
        raise TrainError(str(error)) from None
    info = BundleInfo(
        problem_type=spec.problem_type,  # type: ignore[arg-type]  # checked by validate()
        target=spec.target,
        numeric_features=numeric,
        categorical_features=categorical,
        model_type=spec.model_type,
        hyperparameters=hyperparameters,
        transforms=[dict(item) for item in transforms],
        code={"git_commit": git_commit, "image": image},
        environment=_environment(),
    )
    y_train = _labels(train, spec)
    if spec.problem_type == "classification" and len(classes := set(y_train.tolist())) < 2:
        raise TrainError(f"{train_path}: target {spec.target!r} has only the class(es) {classes}; need at least 2")
    pipeline = build_pipeline(spec.model_type, spec.problem_type, numeric, categorical, hyperparameters, spec.seed)
    try:
        x_train = feature_frame(info, train)
        feature_frame(info, valid)  # a bad valid split fails before the (slow) fit, not after
    except BundleError as error:
        raise TrainError(f"{train_path} / {valid_path}: {error}") from None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have valid feature names.*")
        try:
            pipeline.fit(x_train, y_train, **fit_parameters(spec.model_type, numeric, categorical))
        except (ValueError, TypeError, lightgbm.basic.LightGBMError) as error:
            raise TrainError(f"fitting {spec.model_type} on {train_path} failed: {error}") from None
        info.classes = [_plain(label) for label in pipeline.classes_] if spec.problem_type == "classification" else []
        try:
            info.validation_metrics = score(ModelBundle(pipeline=pipeline, info=info), valid).metrics
        except BundleError as error:
            raise TrainError(f"{valid_path}: {error}") from None
    estimator = pipeline.named_steps["model"]
    info.hyperparameters = _plain_params(estimator.get_params())  # effective values
    if spec.model_type == "random_forest":
        # Parallel prediction sums the trees in thread order, so the same row could score differently
        # in the last bits from call to call; serving must be reproducible.
        estimator.set_params(n_jobs=1)
    info.data_snapshot = {
        "source": data_source,
        "files": {"train": str(train_path), "valid": str(valid_path)},
        "rows": {"train": len(train), "valid": len(valid)},
        "fingerprints": {"train": fingerprint(train_path), "valid": fingerprint(valid_path)},
        "columns": [*numeric, *categorical, spec.target],
    }
    return ModelBundle(pipeline=pipeline, info=info)


def save_model(bundle: ModelBundle, folder: str, baseline: Baseline | None = None) -> tuple[float, dict[str, Any]]:
    """Save `bundle` to `folder`, and `baseline` (train.baseline) as `folder/baseline.json`; return
    the primary validation metric (AUC or RMSE; NaN if undefined) and the KFP `Model` metadata."""
    save_bundle(bundle, folder)
    if baseline is not None:  # after the bundle: save_bundle replaces the whole folder
        save_baseline(baseline, folder)
    metric = PRIMARY_METRIC[bundle.info.problem_type]
    metadata = {
        "framework": "scikit-learn",
        "model_type": bundle.info.model_type,
        "problem_type": bundle.info.problem_type,
        "target": bundle.info.target,
        "primary_metric": metric,
        "validation_metrics": dict(bundle.info.validation_metrics),
    }
    if baseline is not None:
        metadata["baseline_features"] = list(baseline.features)
    return float(bundle.info.validation_metrics.get(metric, float("nan"))), metadata


def _labels(frame: pd.DataFrame, spec: TrainSpec) -> np.ndarray:
    column = frame[spec.target]
    return column.to_numpy(dtype=float) if spec.problem_type == "regression" else column.to_numpy()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _plain_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Estimator parameters as JSON-friendly values (anything exotic as its repr)."""
    simple = (str, int, float, bool, type(None))
    return {key: _plain(value) if isinstance(_plain(value), simple) else repr(value) for key, value in params.items()}


def _environment() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "lightgbm": lightgbm.__version__,
        "pandas": pd.__version__,
    }
