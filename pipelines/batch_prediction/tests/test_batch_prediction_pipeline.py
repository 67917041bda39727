"""The batch prediction pipeline: its config, its compiled spec, and one real run under kfp.local."""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from kfp import local

from batch_prediction.config import BatchPredictionConfig
from batch_prediction.pipeline import DEFINITION, pipeline_parameters
from mlops.config import ConfigError, validate_model
from mlops.model_bundle import predict, save_bundle
from mlops.pipeline_definition import PreflightError, Stores
from mlops.registry import open_registry
from mlops.retries import RETRIES_ENV
from mlops.testing.bundles import fit_bundle, write_splits

CONFIG = Path(__file__).resolve().parents[3] / "config" / "pipelines" / "churn-batch.yaml"
STORES = Stores(registry_uri="/r", feature_store_uri="/f")


def shipped(**batch: object) -> BatchPredictionConfig:
    """The shipped config (less its `pipeline:` key), with `batch:` settings changed."""
    data = yaml.safe_load(CONFIG.read_text())
    assert data.pop("pipeline") == DEFINITION.name
    data["batch"].update(batch)
    return validate_model(BatchPredictionConfig, data, CONFIG)


def test_the_shipped_config_compiles_with_its_image_resources_and_retries(tmp_path: Path) -> None:
    images = {"batch_predict": f"registry.example/vertex-mlops/batch_predict:{'a' * 64}"}
    spec = yaml.safe_load(DEFINITION.compile(shipped(), tmp_path / "batch.yaml", images).read_text())
    assert spec["pipelineInfo"]["name"] == "churn-batch-prediction"
    (executor,) = spec["deploymentSpec"]["executors"].values()
    assert executor["container"]["image"] == images["batch_predict"]
    assert executor["container"]["resources"]["resourceMemoryLimit"] == "4G"
    task = spec["root"]["dag"]["tasks"]["batch-predict"]
    # `retries: 1`: the step retries transient errors itself; no KFP task retry of every failure.
    assert {"name": RETRIES_ENV, "value": "1"} in executor["container"]["env"]
    assert "retryPolicy" not in task and task["cachingOptions"] == {}
    assert set(spec["root"]["inputDefinitions"]["parameters"]) == set(pipeline_parameters(shipped(), STORES))


def test_local_paths_become_absolute_parameters_and_uris_stay() -> None:
    parameters = pipeline_parameters(shipped(source="gs://b/in/*.parquet"), STORES)
    assert parameters["source_uri"] == "gs://b/in/*.parquet" and parameters["registry_uri"] == "/r"
    assert Path(parameters["destination"]).is_absolute() and parameters["destination"].endswith("churn.parquet")


@pytest.mark.parametrize(
    ("batch", "problem"),
    [
        ({"output": "p.csv"}, "batch.output: must be a .parquet file (local or gs://) or bq://"),
        ({"chunk_rows": 10}, "batch.chunk_rows: Input should be greater than or equal to 1000"),
        ({"key_columns": ["a", "a"]}, "batch.key_columns: lists a column twice"),
        ({"version": "latest"}, "batch.version: String should match pattern"),
        ({"rows": 5}, "batch.rows: unknown key"),
    ],
)
def test_a_bad_batch_section_names_the_file_and_key(batch: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match="churn-batch.yaml") as error:
        shipped(**batch)
    assert problem in str(error.value)


def test_a_bigquery_destination_passes_the_checks_untouched() -> None:
    config = shipped(output="bq://acme-ml.scores.churn", source="gs://b/rows/*.parquet")
    parameters = pipeline_parameters(config, STORES)
    DEFINITION.preflight(config)
    assert DEFINITION.preflight_parameters is not None
    DEFINITION.preflight_parameters(config, parameters)
    assert parameters["destination"] == "bq://acme-ml.scores.churn"


def test_preflight_refuses_a_missing_local_source(tmp_path: Path) -> None:
    with pytest.raises(PreflightError, match=r"batch.source .*nothing.parquet: no such file"):
        DEFINITION.preflight(shipped(source=str(tmp_path / "nothing.parquet")))


def test_the_pipeline_runs_under_kfp_local_and_writes_the_predictions(tmp_path: Path) -> None:
    splits = write_splits(tmp_path, "churn", {"train": (500, 1), "rows": (300, 2)})
    bundle = fit_bundle("churn", splits["train"], "lightgbm")
    save_bundle(bundle, str(tmp_path / "bundle"))
    registry = str(tmp_path / "registry")
    open_registry(registry).register("churn-classifier", str(tmp_path / "bundle"), metrics={"auc": 0.7})
    config = shipped(source=splits["rows"], output=str(tmp_path / "out" / "p.parquet"), chunk_rows=1000)
    parameters = pipeline_parameters(config, Stores(registry_uri=registry, feature_store_uri="/f"))
    assert DEFINITION.preflight_parameters is not None
    DEFINITION.preflight_parameters(config, parameters)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    DEFINITION.build(config, DEFINITION.unbuilt_images(), {})(**parameters)
    written, rows = pd.read_parquet(tmp_path / "out" / "p.parquet"), pd.read_parquet(splits["rows"])
    assert written["entity_id"].tolist() == rows["entity_id"].tolist()
    assert (written["prediction"].to_numpy() == predict(bundle, rows)).all()
    assert set(written["model_version"]) == {"1"}
