"""The monitoring pipeline: its config, and its compiled spec (images, resources, no caching, exit handler)."""

import json
from pathlib import Path

import pytest
import yaml

from mlops.config import ConfigError, validate_model
from mlops.pipeline_definition import PreflightError, Stores
from mlops.retries import RETRIES_ENV
from monitoring.config import MonitoringPipelineConfig
from monitoring.pipeline import DEFINITION, pipeline_parameters

CONFIG = Path(__file__).resolve().parents[3] / "config" / "pipelines" / "churn-monitoring.yaml"
STORES = Stores(registry_uri="/r", feature_store_uri="/f")


def shipped(**monitor: object) -> MonitoringPipelineConfig:
    """The shipped config (less its `pipeline:` key), with `monitor:` settings changed."""
    data = yaml.safe_load(CONFIG.read_text())
    assert data.pop("pipeline") == DEFINITION.name
    data["monitor"].update(monitor)
    return validate_model(MonitoringPipelineConfig, data, CONFIG)


def test_the_shipped_config_compiles_with_images_resources_and_no_caching(tmp_path: Path) -> None:
    images = {name: f"registry.example/vertex-mlops/{name}:{'a' * 64}" for name in DEFINITION.components}
    spec = yaml.safe_load(DEFINITION.compile(shipped(), tmp_path / "monitoring.yaml", images).read_text())
    assert spec["pipelineInfo"]["name"] == "churn-monitoring"
    executors = spec["deploymentSpec"]["executors"]
    monitor = executors["exec-monitor"]["container"]
    assert monitor["image"] == images["monitor"] and executors["exec-notify"]["container"]["image"] == images["notify"]
    assert monitor["resources"]["resourceMemoryLimit"] == "2G" and {"name": RETRIES_ENV, "value": "1"} in monitor["env"]
    tasks = spec["root"]["dag"]["tasks"]
    assert tasks["notify"]["triggerPolicy"]["strategy"] == "ALL_UPSTREAM_TASKS_COMPLETED"  # the exit handler
    inner = tasks["exit-handler-1"]["componentRef"]["name"]
    assert spec["components"][inner]["dag"]["tasks"]["monitor"]["cachingOptions"] == {}
    assert tasks["notify"]["cachingOptions"] == {}
    assert set(spec["root"]["inputDefinitions"]["parameters"]) == set(pipeline_parameters(shipped(), STORES))


def test_parameters_carry_the_monitoring_section_and_absolute_local_paths() -> None:
    parameters = pipeline_parameters(shipped(source="gs://b/requests", end="2026-12-02T00:00:00Z"), STORES)
    assert parameters["source_uri"] == "gs://b/requests" and parameters["window_end"] == "2026-12-02T00:00:00Z"
    assert Path(parameters["alerts_uri"]).is_absolute() and parameters["alerts_uri"].endswith("metadata/monitoring")
    monitoring = json.loads(parameters["monitoring_config"])
    assert monitoring["default_threshold"] == 0.3 and parameters["registry_uri"] == "/r"
    assert monitoring["health"]["max_latency_p50_ms"] is None  # a null survives: no p50 check


@pytest.mark.parametrize(
    ("monitor", "problem"),
    [
        ({"window": "1 day"}, "monitor.window: window '1 day' is not a count and a unit"),
        ({"end": "tomorrow"}, "monitor.end: window end 'tomorrow' is not an ISO 8601 time"),
        ({"version": "latest"}, "monitor.version: String should match pattern"),
        ({"windows": "1d"}, "monitor.windows: unknown key"),
    ],
)
def test_a_bad_monitor_section_names_the_file_and_key(monitor: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match="churn-monitoring.yaml") as error:
        shipped(**monitor)
    assert problem in str(error.value)


def test_preflight_refuses_a_missing_local_request_log(tmp_path: Path) -> None:
    with pytest.raises(PreflightError, match=r"monitor.source .*nothing: no such folder"):
        DEFINITION.preflight(shipped(source=str(tmp_path / "nothing")))
    DEFINITION.preflight(shipped(source="gs://b/requests"))  # remote: read by the step
