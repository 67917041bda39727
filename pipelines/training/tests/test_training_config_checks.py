"""Preflight checks of the run's parameters: the model's hyperparameters and the feature view."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from mlops.feature_store.local import LocalFeatureStore
from mlops.features import load_spec
from mlops.pipeline_config import PipelineConfig, load_pipeline_config
from mlops.pipeline_definition import PreflightError, Stores
from training.config_checks import check_parameters
from training.pipeline import DEFINITION, pipeline_parameters

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config" / "pipelines"


def config_with(name: str, **model: object) -> PipelineConfig:
    """A shipped config with its `model:` section changed."""
    data = yaml.safe_load((CONFIG_DIR / name).read_text())
    data["model"].update(model)
    return PipelineConfig.model_validate(data)


def check_model(config: PipelineConfig) -> None:
    """The parameter preflight on `config`'s own parameters, with stores in a folder nothing wrote to."""
    stores = Stores(registry_uri="/nonexistent/r", feature_store_uri="/nonexistent/f")
    check_parameters(config, pipeline_parameters(config, stores))


def test_every_shipped_config_has_valid_hyperparameters() -> None:
    for path in sorted(CONFIG_DIR.glob("*.yaml")):
        # Only training configs (no `pipeline:` key, or `training`); other pipelines have other models.
        if yaml.safe_load(path.read_text()).get("pipeline", "training") == "training":
            check_model(load_pipeline_config(path))


def test_an_unknown_hyperparameter_is_refused_naming_key_value_and_valid_names() -> None:
    config = config_with("churn.yaml", params={"n_estimators": 10, "n_trees": 100})
    with pytest.raises(PreflightError) as error:
        check_model(config)
    message = str(error.value)
    expected = "churn: model.params (hyperparameters): unknown lightgbm hyperparameter(s) ['n_trees']"
    assert message.startswith(expected + " for classification")
    assert "valid names are:" in message and "n_estimators" in message and "\n" not in message


def test_a_name_valid_for_another_problem_type_is_refused() -> None:
    # class_weight is a random forest classifier's parameter; energy is a regression problem.
    config = config_with("energy.yaml", type="random_forest", params={"class_weight": "balanced"})
    with pytest.raises(PreflightError, match=r"\['class_weight'\] for regression"):
        check_model(config)


def test_loading_the_pipeline_imports_no_estimator_library() -> None:
    # Every `mlops run` imports the pipeline and runs its preflight: scikit-learn and LightGBM
    # would add seconds to each start.
    assert DEFINITION.preflight_parameters is check_parameters
    code = (
        "import sys, training.pipeline, training.config_checks; "
        "print(sorted(m for m in ('sklearn', 'lightgbm') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _write_view(store: Path, view: str, features: dict[str, list]) -> None:
    """Feature rows keyed like the shipped configs (entity_id, event_timestamp), as another run wrote them."""
    rows = len(next(iter(features.values())))
    table = pa.table({
        "entity_id": list(range(rows)),
        "event_timestamp": pa.array([datetime(2026, 1, 1)] * rows, pa.timestamp("us")),
        **features,
    })  # fmt: skip
    transforms = [{"op": "passthrough", "name": name, "column": name} for name in features]
    spec = load_spec({"entity_column": "entity_id", "timestamp_column": "event_timestamp", "transforms": transforms})
    LocalFeatureStore(store).write(view, table, spec)


def _parameters(config: PipelineConfig, store: Path) -> dict:
    return pipeline_parameters(config, Stores(registry_uri=str(store.parent / "r"), feature_store_uri=str(store)))


def test_a_view_written_by_another_problem_is_refused_with_how_to_fix_it(tmp_path: Path) -> None:
    store = tmp_path / "feature-store"
    # Energy once wrote its features to the view churn's config names.
    _write_view(store, "churn_features", {"outdoor_temp_c": [1.5, 2.5], "insulation": ["good", "poor"]})
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    with pytest.raises(PreflightError) as error:
        check_parameters(config, _parameters(config, store))
    message = str(error.value)
    assert message.startswith(f"churn: features.view_name: feature view 'churn_features' in {store} holds features")
    assert "['insulation', 'outdoor_temp_c']" in message and "'tenure_months'" in message
    assert "set features.view_name in the pipeline config to a view of its own (e.g. 'churn_features_v2')" in message


def test_a_view_with_the_same_features_or_no_view_passes(tmp_path: Path) -> None:
    store = tmp_path / "feature-store"
    config = load_pipeline_config(CONFIG_DIR / "energy.yaml")
    check_parameters(config, _parameters(config, store))  # nothing written yet
    names = config.feature_spec().feature_names
    _write_view(store, "energy_features", {name: [1.0, 2.0] for name in names})
    check_parameters(config, _parameters(config, store))  # the view this config wrote before
