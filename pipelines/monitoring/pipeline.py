"""The monitoring pipeline: one step (components/monitor) that scores skew, drift and serving health
of a registered version over one window of its request log, writes an HTML report and metrics, and
alerts once per window when a threshold is crossed; notify reports how the run ended (exit handler).

`build_pipeline(config, images)` binds the steps to the images Pants built; every setting becomes a
pipeline parameter (defaults from the config), so one compiled spec serves kfp.local, Docker and
Vertex AI Pipelines, by hand or on a schedule (`mlops schedule create`). `DEFINITION` is what the
`mlops` CLI runs (`mlops run --config config/pipelines/churn-monitoring.yaml`).
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kfp import dsl

from mlops import storage
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.run import check_source as check_monitoring_source
from mlops.pipeline_definition import PipelineDefinition, PreflightError, Step, Stores
from mlops.pipeline_tasks import configure_exit_task, configure_task
from monitor.component import build_component as monitor_component
from monitoring.config import STEP, MonitoringPipelineConfig
from notify.component import build_component as notify_component

# The window ends "now" by default and the log grows: never cached. The registry and the log may be
# remote: transient errors are retried. notify is the exit handler, so last.
STEPS = (Step(STEP, "monitor", cacheable=False, transient=True), Step("notify", "notify", cacheable=False))


def run_name(config: MonitoringPipelineConfig) -> str:
    return f"{config.name}-monitoring"


def pipeline_parameters(config: MonitoringPipelineConfig, stores: Stores) -> dict[str, Any]:
    """The run's parameter values. Local paths are made absolute: steps may run in other folders
    (kfp.local) or containers (Docker, which mounts the folders of absolute-path parameters)."""
    monitor = config.monitor
    return {
        "registry_uri": stores.registry_uri,
        "model_name": monitor.model_name,
        "version": monitor.version,
        "source_uri": storage.absolute(monitor.source),
        "window": monitor.window,
        "window_end": monitor.end,
        # JSON text: a null (an unset latency check) must reach the step, and KFP refuses None in a dict.
        "monitoring_config": config.monitoring.model_dump_json(),
        "alerts_uri": storage.absolute(monitor.alerts_dir),
        "webhook_secret": config.notify_webhook,
    }


def build_pipeline(
    config: MonitoringPipelineConfig, images: Mapping[str, str], step_env: Mapping[str, str] | None = None
) -> Callable[..., Any]:
    """The KFP pipeline function for `config`, its steps bound to `images` and given the environment
    variables `step_env` (how steps log: mlops.logs.step_logging_env)."""
    monitor_op = monitor_component(images["monitor"])
    notify_op = notify_component(images["notify"])
    resources = config.resources_for(STEP)
    described = f"Monitor {config.monitor.model_name} over {config.monitor.window} of its request log."

    @dsl.pipeline(name=run_name(config), description=described)
    def monitoring(
        registry_uri: str,
        model_name: str,
        version: str,
        source_uri: str,
        window: str,
        window_end: str,
        monitoring_config: str,
        alerts_uri: str,
        webhook_secret: str,
    ) -> None:
        exit_task = notify_op(pipeline_name=run_name(config), webhook_secret=webhook_secret)
        configure_exit_task(exit_task, STEPS[1], step_env)
        with dsl.ExitHandler(exit_task, name="monitoring-steps"):
            monitor_task = monitor_op(
                registry_uri=registry_uri,
                model_name=model_name,
                version=version,
                source_uri=source_uri,
                window=window,
                window_end=window_end,
                monitoring_config=monitoring_config,
                alerts_dir=alerts_uri,
                webhook_secret=webhook_secret,
            )
            configure_task(monitor_task, STEPS[0], resources, step_env)

    return monitoring


def check_source(config: MonitoringPipelineConfig) -> None:
    """A local request log folder (or batch output file) that does not exist stops the run before
    anything starts (mlops.monitoring.run.check_source)."""
    try:
        check_monitoring_source(config.monitor.source)
    except MonitoringError as error:
        raise PreflightError(f"monitor.source {error}") from None


def prepare_alerts(config: MonitoringPipelineConfig, parameters: Mapping[str, Any]) -> None:
    """Create the local alerts folder, so a containerized step gets it mounted (Docker mounts only
    folders that exist)."""
    alerts = str(parameters["alerts_uri"])
    if "://" not in alerts:
        Path(alerts).mkdir(parents=True, exist_ok=True)



DEFINITION = PipelineDefinition(
    name="monitoring",
    config_model=MonitoringPipelineConfig,
    steps=STEPS,
    run_name=run_name,
    parameters=pipeline_parameters,
    build=build_pipeline,
    preflight=check_source,
    preflight_parameters=prepare_alerts,
)
