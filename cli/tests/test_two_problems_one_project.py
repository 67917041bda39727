"""Two problems trained in one project, neither naming a feature view, do not collide in the feature store."""

from __future__ import annotations

from pathlib import Path

from mlops.feature_store import existing_view_schema
from mlops.pipeline_config import PipelineConfig
from mlops_cli.commands import run_pipeline
from run_fixtures import local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION


def _default_view(config: PipelineConfig) -> PipelineConfig:
    """`config` without features.view_name, as a new problem's file would be."""
    return config.model_copy(update={"features": config.features.model_copy(update={"view_name": ""})})


def test_a_second_problem_trains_in_its_own_view(tmp_path: Path) -> None:
    # With one default view for every problem, energy failed in features on churn's view.
    settings = local_settings(tmp_path)
    for name in ("churn.yaml", "energy.yaml"):
        record = run_pipeline(DEFINITION, _default_view(small(name, rows=1500)), settings, runner="local")
        assert record.status == "SUCCEEDED", (name, record.error)
    store = settings.resolved_feature_store_uri()
    churn, energy = existing_view_schema(store, "churn"), existing_view_schema(store, "energy")
    assert churn is not None and "tenure_months" in churn.features
    assert energy is not None and "outdoor_temp_c" in energy.features
