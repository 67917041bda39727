"""Fixtures of the train tests: churn (classification) and energy (regression) sample splits.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mlops.sample_data import SampleSpec, write
from mlops.testing.bundles import PROBLEMS  # the sample problems' columns, shared with other tests
from train.core import TrainSpec

SMALL = {"lightgbm": {"n_estimators": 60}, "random_forest": {"n_estimators": 40, "min_samples_leaf": 5}, "linear": {}}
SPLITS = {"train": (1500, 11), "valid": (400, 12), "test": (800, 13)}  # rows, seed: independent draws


@pytest.fixture(scope="session")
def splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """problem -> split -> Parquet path."""
    folder = tmp_path_factory.mktemp("splits")
    paths: dict[str, dict[str, str]] = {}
    for problem in PROBLEMS:
        for split, (rows, seed) in SPLITS.items():
            path = folder / f"{problem}-{split}.parquet"
            write(SampleSpec(problem, rows, seed), path)
            paths.setdefault(problem, {})[split] = str(path)
    return paths


@pytest.fixture()
def problems() -> dict[str, dict[str, Any]]:
    """problem -> TrainSpec fields (target, problem type, feature columns)."""
    return PROBLEMS


@pytest.fixture()
def churn(splits: dict[str, dict[str, str]]) -> dict[str, str]:
    return splits["churn"]


@pytest.fixture()
def spec() -> Callable[..., TrainSpec]:
    """spec(problem, model_type="lightgbm", **changes): a small, fast TrainSpec for a sample problem."""

    def make(problem: str, model_type: str = "lightgbm", **changes: Any) -> TrainSpec:
        fields = {
            **PROBLEMS[problem],
            "model_type": model_type,
            "hyperparameters": SMALL.get(model_type, {}),
            **changes,
        }
        return TrainSpec(**fields)

    return make
