"""Fixtures of the evaluate tests: sample splits and real model bundles (mlops.testing.bundles).

The bundles are built without the train component (a component never imports another one).
Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules; the names are prefixed so they never shadow other fixtures.
"""

from __future__ import annotations

import pytest

from mlops.model_bundle import save_bundle
from mlops.testing.bundles import PROBLEMS, fit_bundle, write_splits

# churn: a pickled LightGBM model, which the evaluate image must be able to load.
KINDS = {"churn": "lightgbm", "energy": "linear"}


@pytest.fixture(scope="session")
def eval_splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """problem -> split (train, valid, test) -> Parquet path."""
    folder = tmp_path_factory.mktemp("splits")
    splits = {"train": (1200, 21), "valid": (300, 22), "test": (600, 23)}
    return {problem: write_splits(folder, problem, splits) for problem in PROBLEMS}


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory, eval_splits: dict[str, dict[str, str]]) -> dict[str, str]:
    """problem -> model bundle folder."""
    folder = tmp_path_factory.mktemp("bundles")
    result = {}
    for problem, kind in KINDS.items():
        bundle = fit_bundle(problem, eval_splits[problem]["train"], kind, code={"git_commit": "c0ffee"})
        save_bundle(bundle, str(folder / problem))
        result[problem] = str(folder / problem)
    return result
