"""train.hyperparameters: the hand-kept table equals what the estimators accept, and train.api is light."""

from __future__ import annotations

import subprocess
import sys

import pytest

from train.api import HyperparameterError, check_hyperparameters
from train.estimators import _ESTIMATORS, estimator_parameters
from train.hyperparameters import HYPERPARAMETERS, valid_hyperparameters


def test_the_table_covers_every_estimator() -> None:
    assert set(HYPERPARAMETERS) == set(_ESTIMATORS)


@pytest.mark.parametrize(("model_type", "problem_type"), sorted(_ESTIMATORS))
def test_the_table_equals_what_the_estimator_accepts(model_type: str, problem_type: str) -> None:
    # Fails when a scikit-learn or LightGBM upgrade adds or drops a parameter: update the table.
    assert valid_hyperparameters(model_type, problem_type) == estimator_parameters(model_type, problem_type)


def test_unknown_names_and_non_integer_counts_are_refused_with_the_valid_names() -> None:
    check_hyperparameters("lightgbm", "classification", {"n_estimators": 200.0, "learning_rate": 0.05})
    with pytest.raises(HyperparameterError, match=r"unknown lightgbm hyperparameter\(s\) \['n_trees'\]") as error:
        check_hyperparameters("lightgbm", "classification", {"n_trees": 10, "num_leaves": 31})
    assert "valid names are: boosting_type" in str(error.value) and "num_leaves" in str(error.value)
    with pytest.raises(HyperparameterError, match=r"\['class_weight'\] for regression"):
        check_hyperparameters("random_forest", "regression", {"class_weight": "balanced"})
    with pytest.raises(HyperparameterError, match="'max_iter' must be an integer, got 10.5"):
        check_hyperparameters("linear", "regression", {"max_iter": 10.5})
    with pytest.raises(HyperparameterError, match="unknown model type 'xgboost' for 'regression'; known: lightgbm"):
        check_hyperparameters("xgboost", "regression", {})


def test_the_public_api_imports_no_estimator_library() -> None:
    code = "import sys, train.api; print(sorted(m for m in ('sklearn', 'lightgbm') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
