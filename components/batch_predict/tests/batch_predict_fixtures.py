"""Fixtures of the batch prediction tests: a local registry holding two real churn models.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops.model_bundle import ModelBundle, save_bundle
from mlops.registry import open_registry
from mlops.testing.bundles import fit_bundle, write_splits

MODEL = "churn"


@dataclass(frozen=True)
class Registered:
    registry_uri: str
    bundles: dict[str, ModelBundle]  # version -> the bundle registered as it
    rows_uri: str  # 600 unseen churn rows (Parquet), label included
    folder: Path


@pytest.fixture(scope="session")
def registered(tmp_path_factory: pytest.TempPathFactory) -> Registered:
    """Version 1 (linear) and version 2 (LightGBM, the default) of `churn` in a local registry."""
    folder = tmp_path_factory.mktemp("registered")
    splits = write_splits(folder, "churn", {"train": (800, 1), "rows": (600, 2)})
    registry = open_registry(str(folder / "registry"))
    bundles = {}
    for kind in ("linear", "lightgbm"):
        bundle = fit_bundle("churn", splits["train"], kind)
        save_bundle(bundle, str(folder / kind))
        version = registry.register(MODEL, str(folder / kind), metrics={"auc": 0.7}).version
        bundles[version] = bundle
    assert registry.get(MODEL) is not None and registry.get(MODEL).version == "2"  # type: ignore[union-attr]
    return Registered(str(folder / "registry"), bundles, splits["rows"], folder)
