"""The compiled training pipeline: compiles, loads back, and carries config, images and resources."""

from pathlib import Path

import yaml
from kfp import components

from mlops.logs import step_logging_env
from mlops.pipeline_config import StepResources, load_pipeline_config
from mlops.pipeline_definition import Stores
from mlops.retries import RETRIES_ENV
from training.pipeline import DEFINITION, pipeline_parameters

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config" / "pipelines"


def test_spec_compiles_and_loads_back_with_pinned_images(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    images = {name: f"registry.example/vertex-mlops/{name}:{'a' * 64}" for name in DEFINITION.components}
    spec_path = DEFINITION.compile(config, tmp_path / "training.yaml", images)

    loaded = components.load_component_from_file(str(spec_path))
    assert loaded.name == "churn-training"
    spec = yaml.safe_load(spec_path.read_text())
    used_images = {executor["container"]["image"] for executor in spec["deploymentSpec"]["executors"].values()}
    assert used_images == {images[name] for name in DEFINITION.components}
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert set(pipeline_parameters(config, Stores(registry_uri="r", feature_store_uri="f"))) == set(inputs)


def test_config_resources_and_retries_reach_the_spec(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    spec_path = DEFINITION.compile(config, tmp_path / "training.yaml", DEFINITION.unbuilt_images())
    spec = yaml.safe_load(spec_path.read_text())
    executors = spec["deploymentSpec"]["executors"]
    train = next(e for name, e in executors.items() if "train" in name)["container"]["resources"]
    assert train["resourceCpuLimit"] == "4" and train["resourceMemoryLimit"] == "16G"
    # `retries: 2` is for the step's own retries of transient errors (mlops.retries): no KFP task
    # retry, which would re-run a bad input as well.
    assert {"name": RETRIES_ENV, "value": "2"} in executors["exec-ingest"]["container"]["env"]
    assert RETRIES_ENV not in str(executors["exec-train"]["container"].get("env"))
    dag_tasks = spec["components"]["comp-exit-handler-1"]["dag"]["tasks"]
    assert "retryPolicy" not in dag_tasks["ingest"] and "retryPolicy" not in dag_tasks["train"]


def test_infrastructure_retries_become_kfp_task_retries(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    config.resources["train"] = StepResources(cpu="4", memory="16G", infrastructure_retries=1)
    spec_path = DEFINITION.compile(config, tmp_path / "training.yaml", DEFINITION.unbuilt_images())
    dag_tasks = yaml.safe_load(spec_path.read_text())["components"]["comp-exit-handler-1"]["dag"]["tasks"]
    assert dag_tasks["train"]["retryPolicy"]["maxRetryCount"] == 1
    assert dag_tasks["train"]["retryPolicy"]["backoffDuration"] == "30s"


def test_regression_config_compiles_too(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "energy.yaml")
    spec_path = DEFINITION.compile(config, tmp_path / "energy.yaml", DEFINITION.unbuilt_images())
    spec = yaml.safe_load(spec_path.read_text())
    defaults = pipeline_parameters(config, Stores(registry_uri="r", feature_store_uri="f"))
    assert defaults["problem_type"] == "regression" and defaults["champion_metric"] == "rmse"
    assert spec["pipelineInfo"]["name"] == "energy-training"


def test_the_declared_steps_are_the_tasks_of_the_spec(tmp_path: Path) -> None:
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    spec_path = DEFINITION.compile(config, tmp_path / "t.yaml", DEFINITION.unbuilt_images())
    spec = yaml.safe_load(spec_path.read_text())
    names = {
        task["taskInfo"]["name"]
        for component in [spec["root"], *spec["components"].values()]
        for task in component.get("dag", {}).get("tasks", {}).values()
        if not task["componentRef"]["name"].startswith(("comp-exit-handler", "comp-condition"))
    }
    assert names == {step.name for step in DEFINITION.steps}


def test_caching_of_every_task_follows_its_declared_step(tmp_path: Path) -> None:
    # The exit handler (notify) reports how the run ended: a cached notify sends nothing.
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    spec_path = DEFINITION.compile(config, tmp_path / "t.yaml", DEFINITION.unbuilt_images())
    spec = yaml.safe_load(spec_path.read_text())
    tasks = {
        task["taskInfo"]["name"]: task
        for component in [spec["root"], *spec["components"].values()]
        for task in component.get("dag", {}).get("tasks", {}).values()
    }
    cached = {step.name for step in DEFINITION.steps if tasks[step.name].get("cachingOptions", {}).get("enableCache")}
    assert cached == {step.name for step in DEFINITION.steps if step.cacheable}
    assert "notify" not in cached and not DEFINITION.step("notify").cacheable


def test_every_task_gets_the_step_environment(tmp_path: Path) -> None:
    # How steps log on Vertex AI is decided when the spec is compiled, for every task (exit handler
    # included), from the environment's settings.
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    step_env = step_logging_env("INFO", json_output=True, labels={"env": "dev"})
    spec_path = DEFINITION.compile(config, tmp_path / "t.yaml", DEFINITION.unbuilt_images(), step_env)
    executors = yaml.safe_load(spec_path.read_text())["deploymentSpec"]["executors"]
    assert len(executors) == len(DEFINITION.steps)
    for executor in executors.values():
        env = {item["name"]: item["value"] for item in executor["container"].get("env", [])}
        env.pop(RETRIES_ENV, None)  # the steps given retries have it too (test above)
        assert env == step_env


def test_versions_are_registered_with_the_serve_image_the_build_made(tmp_path: Path) -> None:
    # Registration once named `vertex-mlops/serving:latest`, an image nothing built: every version a
    # Vertex AI run registered pointed at a container that did not exist.
    config = load_pipeline_config(CONFIG_DIR / "churn.yaml")
    images = {name: f"registry.example/vertex-mlops/{name}:{name[0] * 64}" for name in DEFINITION.components}
    spec = yaml.safe_load(DEFINITION.compile(config, tmp_path / "t.yaml", images).read_text())
    (register,) = (
        task
        for component in spec["components"].values()
        for name, task in component.get("dag", {}).get("tasks", {}).items()
        if name == "register"
    )
    serving_image = register["inputs"]["parameters"]["serving_image"]["runtimeValue"]["constant"]
    assert serving_image == images["serve"] == f"registry.example/vertex-mlops/serve:{'s' * 64}"
    # Register reads the serving check's record, so it runs only after the check passed.
    check = register["inputs"]["artifacts"]["serving_check"]["componentInputArtifact"]
    assert check == "pipelinechannel--serving-check-check"
    assert DEFINITION.external_images == {}
