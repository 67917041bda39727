"""Fixtures of the evaluate tests: sample splits and real model bundles trained by the train code.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules; the names are prefixed so they never shadow train's fixtures.
"""

from __future__ import annotations

from typing import Any

import pytest

from mlops.model_bundle import save_bundle
from mlops.sample_data import SampleSpec, write
from train.core import TrainSpec, train_model

PROBLEMS: dict[str, dict[str, Any]] = {
    "churn": {
        "target": "churned",
        "problem_type": "classification",
        "numeric_features": ["tenure_months", "monthly_charges", "support_calls"],
        "categorical_features": ["contract_type", "payment_method", "region"],
        "model_type": "lightgbm",  # a pickled LightGBM model: the evaluate image must be able to load it
        "hyperparameters": {"n_estimators": 40},
    },
    "energy": {
        "target": "energy_kwh",
        "problem_type": "regression",
        "numeric_features": ["floor_area_m2", "outdoor_temp_c", "occupancy_rate"],
        "categorical_features": ["building_type", "insulation"],
        "model_type": "linear",
    },
}


@pytest.fixture(scope="session")
def eval_problems() -> dict[str, dict[str, Any]]:
    """problem -> train parameters (target, problem type, feature columns, model)."""
    return PROBLEMS


@pytest.fixture(scope="session")
def eval_splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """problem -> split (train, valid, test) -> Parquet path."""
    folder = tmp_path_factory.mktemp("splits")
    paths: dict[str, dict[str, str]] = {}
    for problem in PROBLEMS:
        for split, (rows, seed) in {"train": (1200, 21), "valid": (300, 22), "test": (600, 23)}.items():
            write(SampleSpec(problem, rows, seed), folder / f"{problem}-{split}.parquet")
            paths.setdefault(problem, {})[split] = str(folder / f"{problem}-{split}.parquet")
    return paths


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory, eval_splits: dict[str, dict[str, str]]) -> dict[str, str]:
    """problem -> model bundle folder."""
    folder = tmp_path_factory.mktemp("bundles")
    result = {}
    for problem, params in PROBLEMS.items():
        bundle = train_model(
            eval_splits[problem]["train"], eval_splits[problem]["valid"], TrainSpec(**params), git_commit="c0ffee"
        )
        save_bundle(bundle, str(folder / problem))
        result[problem] = str(folder / problem)
    return result
