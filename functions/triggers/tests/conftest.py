"""Fixtures: a compiled spec of the project's churn training pipeline, published the way CI/CD
publishes it (with the config's parameter values as defaults), the fake Vertex AI REST API, and
functions-framework's own test client for each entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml

from mlops import pipeline_spec
from mlops.pipeline_config import load_pipeline_config
from mlops.pipeline_definition import Stores
from mlops.testing.fake_vertex import GCS_BUCKET_CHECK, FakeVertex
from training.pipeline import DEFINITION, pipeline_parameters

ROOT = Path(__file__).resolve().parents[3]
MAIN = Path(__file__).resolve().parents[1] / "triggers" / "main.py"
REGISTRY = "europe-west2-docker.pkg.dev/acme-mlops-dev/vertex-mlops"
SERVICE_ACCOUNT = "vertex-pipelines@acme-mlops-dev.iam.gserviceaccount.com"
PIPELINE_ROOT = "gs://acme-mlops-dev-pipelines/root"
PARENT = "projects/acme-mlops-dev/locations/europe-west2"


def published_spec(path: Path, with_defaults: bool = True) -> dict[str, Any]:
    """The churn training spec compiled by the project's own pipeline code, written to `path`."""
    config = load_pipeline_config(ROOT / "config" / "pipelines" / "churn.yaml")
    images = {name: f"{REGISTRY}/{name}:{name[0] * 64}" for name in DEFINITION.components}
    compiled = DEFINITION.compile(config, path, images)
    spec = yaml.safe_load(compiled.read_text())
    if with_defaults:
        stores = Stores("vertex://acme-mlops-dev/europe-west2", "vertex://acme-mlops-dev/europe-west2?dataset=f")
        spec = pipeline_spec.with_defaults(spec, pipeline_parameters(config, stores))
        path.write_text(yaml.safe_dump(spec))
    return spec


@pytest.fixture(scope="session")
def specs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local MLOPS_SPECS_URI with churn/latest.yaml in it."""
    folder = tmp_path_factory.mktemp("specs")
    published_spec(folder / "churn" / "latest.yaml")
    return folder


@pytest.fixture()
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server, mock.patch(GCS_BUCKET_CHECK):
        yield server


@pytest.fixture()
def environment(monkeypatch: pytest.MonkeyPatch, fake: FakeVertex, specs_dir: Path) -> dict[str, str]:
    """The functions' variables as Terraform sets them, the API pointed at the fake."""
    values = {
        "MLOPS_PROJECT": "acme-mlops-dev",
        "MLOPS_REGION": "europe-west2",
        "MLOPS_PIPELINE_ROOT": PIPELINE_ROOT,
        "MLOPS_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "MLOPS_SPECS_URI": str(specs_dir),
        "MLOPS_PIPELINES": "churn, energy",
        "MLOPS_PIPELINE": "churn",
        "MLOPS_DATA_PREFIX": "gs://acme-mlops-dev-data/incoming/",
        "MLOPS_RETRAIN_PIPELINES": '{"churn-classifier": "churn", "energy-regressor": "energy"}',
        "MLOPS_API_ENDPOINT": fake.endpoint,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def client(target: str, signature_type: str) -> Any:
    """functions-framework's app for `target` in triggers/main.py, as Cloud Functions loads it."""
    import functions_framework

    return functions_framework.create_app(target, str(MAIN), signature_type).test_client()


@pytest.fixture()
def scheduled(environment: dict[str, str]) -> Any:
    return client("start_scheduled_run", "http")


@pytest.fixture()
def new_data(environment: dict[str, str]) -> Any:
    return client("start_run_on_new_data", "cloudevent")


@pytest.fixture()
def drift(environment: dict[str, str]) -> Any:
    return client("start_run_on_drift", "cloudevent")
