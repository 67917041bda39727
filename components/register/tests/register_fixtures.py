"""Real models of different quality for the register tests (mlops.testing.bundles).

A "good" model uses every feature (logistic regression / ridge); a "poor" one predicts the training
prior (classification) or mean (regression). Both are saved with `mlops.model_bundle.save_bundle`,
and each gets the evaluation record the evaluate step would write for it on the test split.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mlops.model_bundle import save_bundle
from mlops.testing.bundles import PROBLEMS, evaluation_of, fit_bundle, write_splits

KINDS = {"good": "linear", "poor": "dummy"}


@dataclass
class Trained:
    """A saved bundle, its evaluation JSON (file and content) and the test split it was scored on."""

    bundle: str
    evaluation_path: str
    evaluation: dict[str, Any]
    test: str


@pytest.fixture(scope="session")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Trained]]:
    """problem ("churn", "energy") -> quality ("good", "poor") -> Trained."""
    folder = tmp_path_factory.mktemp("models")
    result: dict[str, dict[str, Trained]] = {}
    for problem in PROBLEMS:
        paths = write_splits(folder, problem, {"train": (1200, 21), "test": (600, 22)})
        for quality, kind in KINDS.items():
            bundle = fit_bundle(problem, paths["train"], kind, model_type=f"{quality}-sklearn")
            target = folder / f"{problem}-{quality}"
            save_bundle(bundle, str(target))
            evaluation = evaluation_of(bundle, paths["test"])
            evaluation_path = folder / f"{problem}-{quality}-evaluation.json"
            evaluation.write(str(evaluation_path))
            result.setdefault(problem, {})[quality] = Trained(
                str(target), str(evaluation_path), evaluation.to_json(), paths["test"]
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
