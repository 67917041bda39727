"""The monitoring pipeline's configuration: which registered version, which request log, which window.

Its own file per problem (e.g. config/pipelines/churn-monitoring.yaml, `pipeline: monitoring`), like
batch prediction: the CLI picks the pipeline by a file's `pipeline:` key. The `monitoring:` section
is the training config's (mlops.monitoring.config.MonitoringConfig): thresholds, bins, health.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from mlops.alerts.secrets import check_reference
from mlops.config import _Section
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import MonitoringConfig, parse_window
from mlops.monitoring.run import parse_end
from mlops.pipeline_config import StepResources
from mlops.schedule_config import ScheduleConfig

STEP = "monitor"


class MonitorSection(_Section):
    """Which version is watched, over which request log and window, and where alerts are recorded."""

    model_name: str = Field(pattern=r"^[a-z][a-z0-9-_]{0,62}$", description="the registered model")
    version: str = Field(default="", pattern=r"^([0-9]+)?$", description="a version number; empty: the default")
    # The local environment's endpoints log here (<storage_root>/endpoints/local/requests): config/local.yaml.
    source: str = Field(
        default=".mlops/data/endpoints/local/requests",
        description="the request log folder the model server writes, bq://P.D.T[?deployed_model_id=ID], "
        "or a batch prediction output (.parquet)",
    )
    window: str = Field(default="1d", description="the window's length: a count and a unit (m, h, d, w)")
    end: str = Field(default="", description="the window's end, ISO 8601; empty: when the step runs")
    # The folder `mlops monitor` uses by default (<metadata_dir>/monitoring): one dedup record, so a
    # window scored by both alerts once.
    alerts_dir: str = Field(default=".mlops/metadata/monitoring", description="alert file and dedup record")

    @field_validator("window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("end")
    @classmethod
    def _end(cls, value: str) -> str:
        try:
            parse_end(value)
        except MonitoringError as error:  # pydantic reports ValueError, not the library's own errors
            raise ValueError(str(error)) from None
        return value


class MonitoringPipelineConfig(_Section):
    """A whole monitoring pipeline configuration."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")
    monitor: MonitorSection
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)
    notify_webhook: str = ""  # a secret reference (env:NAME, secretmanager:...): crossings and run ends
    resources: dict[str, StepResources] = Field(default_factory=dict)
    schedule: ScheduleConfig | None = None  # `mlops schedule create` (mlops.schedule_config)

    @field_validator("notify_webhook")
    @classmethod
    def _webhook_is_a_reference(cls, value: str) -> str:
        return check_reference(value)

    @model_validator(mode="after")
    def _known_steps(self) -> MonitoringPipelineConfig:
        if unknown := sorted(set(self.resources) - {STEP}):
            raise ValueError(f"resources: unknown step(s) {unknown}; the only step is {STEP}")
        return self

    def resources_for(self, step: str) -> StepResources:
        return self.resources.get(step, StepResources())
