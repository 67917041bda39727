"""The compiled training pipeline: compiles, loads back, and carries config, images and resources."""

from pathlib import Path

import yaml
from kfp import components

from mlops.pipeline_config import load_pipeline_config
from training.pipeline import COMPONENTS, compile_pipeline, pipeline_parameters

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config" / "pipelines"


def test_spec_compiles_and_loads_back_with_pinned_images(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    images = {name: f"registry.example/vertex-mlops/{name}:{'a' * 64}" for name in (*COMPONENTS, "serving")}
    spec_path = compile_pipeline(config, tmp_path / "training.yaml", images)

    loaded = components.load_component_from_file(str(spec_path))
    assert loaded.name == "churn-training"
    spec = yaml.safe_load(spec_path.read_text())
    used_images = {executor["container"]["image"] for executor in spec["deploymentSpec"]["executors"].values()}
    assert used_images == {images[name] for name in COMPONENTS}
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert set(pipeline_parameters(config, registry_uri="r", feature_store_uri="f")) == set(inputs)


def test_config_resources_and_retries_reach_the_spec(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    spec = yaml.safe_load(compile_pipeline(config, tmp_path / "training.yaml").read_text())
    executors = spec["deploymentSpec"]["executors"]
    train = next(e for name, e in executors.items() if "train" in name)["container"]["resources"]
    assert train["resourceCpuLimit"] == "4" and train["resourceMemoryLimit"] == "16G"
    dag_tasks = spec["components"]["comp-exit-handler-1"]["dag"]["tasks"]
    assert dag_tasks["ingest"]["retryPolicy"]["maxRetryCount"] == 2
    assert "retryPolicy" not in dag_tasks["train"]


def test_regression_config_compiles_too(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "energy.yaml")
    spec = yaml.safe_load(compile_pipeline(config, tmp_path / "energy.yaml").read_text())
    defaults = pipeline_parameters(config, registry_uri="r", feature_store_uri="f")
    assert defaults["problem_type"] == "regression" and defaults["champion_metric"] == "rmse"
    assert spec["pipelineInfo"]["name"] == "energy-training"
