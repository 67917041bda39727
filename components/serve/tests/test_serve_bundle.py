"""The bundle a server loads: a URI is copied once to a local folder and checked there; errors name the URI.

memory:// stands in for gs:// (both go through mlops.storage and fsspec; GCS is unreachable here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops import storage
from mlops.model_bundle import BundleError
from mlops.predictor import Predictor
from serve.bundle import prepare_bundle

pytest_plugins = ["serve_fixtures"]  # fixtures: see serve_fixtures.py


def upload(local: str, uri: str) -> None:
    for name in ("bundle.json", "model.joblib"):
        storage.write_bytes(storage.join(uri, name), Path(local, name).read_bytes())


def test_a_remote_bundle_is_copied_to_a_local_folder_and_checked(bundles, tmp_path: Path) -> None:
    upload(bundles["churn"], "memory://serve-tests/churn")
    folder, stored = prepare_bundle("memory://serve-tests/churn", cache_dir=str(tmp_path))
    assert Path(folder).parent == tmp_path and sorted(p.name for p in Path(folder).iterdir()) == [
        "bundle.json",
        "model.joblib",
    ]
    assert Predictor(stored).model_sha256 == Predictor.load(bundles["churn"]).model_sha256


def test_a_tampered_remote_bundle_is_refused_naming_the_uri(bundles, tmp_path: Path) -> None:
    uri = "memory://serve-tests/tampered"
    upload(bundles["churn"], uri)
    model = storage.join(uri, "model.joblib")
    storage.write_bytes(model, storage.read_bytes(model) + b"\x00")
    with pytest.raises(BundleError, match=f"^{uri}: model.joblib does not match the checksum"):
        prepare_bundle(uri, cache_dir=str(tmp_path))
    with pytest.raises(BundleError, match="memory://serve-tests/none: not a model bundle"):
        prepare_bundle("memory://serve-tests/none", cache_dir=str(tmp_path))


def test_a_local_bundle_is_used_in_place(bundles) -> None:
    folder, stored = prepare_bundle(bundles["energy"])
    assert folder == bundles["energy"] and stored.info.problem_type == "regression"
