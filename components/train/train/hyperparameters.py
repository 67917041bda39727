"""The hyperparameter names each model type accepts, as a plain table: no scikit-learn or LightGBM import.

Train checks a config's `model.params` against this table, and so does a pipeline's preflight
(through `train.api`), before any step runs, without making every CLI start pay seconds of
estimator imports. The table is kept by hand; `tests/test_train_hyperparameters.py` proves it
equals what the estimators in `train.estimators` accept (`get_params()` minus `random_state`,
which the `seed` sets), so a library upgrade that adds or drops a name fails that test, not a run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_LIGHTGBM = frozenset({
    "boosting_type", "class_weight", "colsample_bytree", "importance_type", "learning_rate", "max_depth",
    "min_child_samples", "min_child_weight", "min_split_gain", "n_estimators", "n_jobs", "num_leaves",
    "objective", "reg_alpha", "reg_lambda", "subsample", "subsample_for_bin", "subsample_freq",
})  # fmt: skip
_RANDOM_FOREST_REGRESSION = frozenset({
    "bootstrap", "ccp_alpha", "criterion", "max_depth", "max_features", "max_leaf_nodes", "max_samples",
    "min_impurity_decrease", "min_samples_leaf", "min_samples_split", "min_weight_fraction_leaf",
    "monotonic_cst", "n_estimators", "n_jobs", "oob_score", "verbose", "warm_start",
})  # fmt: skip

# (model type, problem type) -> the names its estimator accepts (random_state excluded: see `seed`).
HYPERPARAMETERS: dict[tuple[str, str], frozenset[str]] = {
    ("lightgbm", "classification"): _LIGHTGBM,
    ("lightgbm", "regression"): _LIGHTGBM,
    ("random_forest", "classification"): _RANDOM_FOREST_REGRESSION | {"class_weight"},
    ("random_forest", "regression"): _RANDOM_FOREST_REGRESSION,
    ("linear", "classification"): frozenset({  # LogisticRegression
        "C", "class_weight", "dual", "fit_intercept", "intercept_scaling", "l1_ratio", "max_iter", "n_jobs",
        "penalty", "solver", "tol", "verbose", "warm_start",
    }),  # fmt: skip
    ("linear", "regression"): frozenset({"alpha", "copy_X", "fit_intercept", "max_iter", "positive", "solver", "tol"}),
}

# Hyperparameters that are integers: KFP hands numbers inside a dict parameter over as floats.
INTEGER_PARAMETERS = frozenset({
    "n_estimators", "num_leaves", "max_depth", "min_child_samples", "subsample_for_bin", "subsample_freq",
    "max_iter", "min_samples_leaf", "min_samples_split", "max_leaf_nodes", "n_jobs", "verbose",
})  # fmt: skip


class HyperparameterError(ValueError):
    """An unknown hyperparameter name or a value of the wrong kind; the message lists the valid names."""


def valid_hyperparameters(model_type: str, problem_type: str) -> list[str]:
    """The hyperparameter names `model_type` accepts for `problem_type`, sorted (the seed is set separately)."""
    if (model_type, problem_type) not in HYPERPARAMETERS:  # e.g. a `--set model_type=...` override
        known = sorted({f"{model} ({problem})" for model, problem in HYPERPARAMETERS})
        raise HyperparameterError(f"unknown model type {model_type!r} for {problem_type!r}; known: {', '.join(known)}")
    return sorted(HYPERPARAMETERS[model_type, problem_type])


def normalize_hyperparameters(model_type: str, problem_type: str, hyperparameters: Mapping[str, Any]) -> dict[str, Any]:
    """Check names against the table and turn integer-valued floats back into ints where an int is meant.

    Raises HyperparameterError naming the unknown names (and listing the valid ones) or the value.
    """
    valid = valid_hyperparameters(model_type, problem_type)
    unknown = sorted(set(hyperparameters) - set(valid))
    if unknown:
        raise HyperparameterError(
            f"unknown {model_type} hyperparameter(s) {unknown} for {problem_type}"
            + ("; set the seed with `seed`, not random_state" if "random_state" in unknown else "")
            + f"; valid names are: {', '.join(valid)}"
        )
    result: dict[str, Any] = {}
    for name, value in hyperparameters.items():
        if name in INTEGER_PARAMETERS and isinstance(value, float):
            if not value.is_integer():
                raise HyperparameterError(f"hyperparameter {name!r} must be an integer, got {value}")
            value = int(value)
        result[name] = value
    return result
