"""The training pipeline's configuration: what data, which features, which model, how to judge it.

One YAML file per problem (config/pipelines/*.yaml). Moving to another table, target or feature
set is a new file, not new code. The file is validated up front with errors that name the file
and the dotted key, like the environment config (mlops.config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from mlops.alerts.secrets import check_reference
from mlops.config import _Section, read_yaml_mapping, validate_model
from mlops.features import FeatureError, FeatureSpec, load_spec
from mlops.metrics import METRICS_BY_PROBLEM, ModelType, ProblemType
from mlops.monitoring.config import MonitoringConfig
from mlops.monitoring.features import monitored_features
from mlops.row_keys import DERIVED_COLUMNS, ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN
from mlops.schedule_config import ScheduleConfig


class SplitConfig(_Section):
    method: Literal["random", "time"] = "random"
    train: float = Field(default=0.8, gt=0, lt=1)
    valid: float = Field(default=0.1, ge=0, lt=1)
    test: float = Field(default=0.1, gt=0, lt=1)
    seed: int = 42

    @model_validator(mode="after")
    def _fractions_add_up(self) -> SplitConfig:
        if abs(self.train + self.valid + self.test - 1) > 1e-6:
            raise ValueError(f"train + valid + test must be 1, got {self.train + self.valid + self.test:g}")
        return self


class CsvConfig(_Section):
    """How CSV sources are parsed (other sources ignore it); ingest and preflight read alike."""

    delimiter: str = Field(default="", max_length=1, description="one character; empty: detect it")
    header: bool = True
    null_values: list[str] = Field(default_factory=list, description="markers read as missing, e.g. n/a")
    bad_rows: Literal["error", "skip"] = "error"


class DataConfig(_Section):
    source: str = Field(description="CSV/Parquet path or URI, sample://PROBLEM?rows=N, or bq://PROJECT.DATASET.TABLE")
    # Both keys are optional: ingest derives what is missing (mlops.row_keys explains how, and what
    # it means for the feature store's point-in-time join).
    entity_column: str = Field(default="", description="the entity id; empty: a key derived from each row")
    timestamp_column: str = Field(default="", description="the event time; empty: one snapshot time per ingest")
    target: str
    problem_type: ProblemType
    split: SplitConfig = Field(default_factory=SplitConfig)
    csv: CsvConfig = Field(default_factory=CsvConfig)
    drop_columns: list[str] = Field(default_factory=list, description="source columns ingest leaves out")

    @model_validator(mode="after")
    def _keys_fit(self) -> DataConfig:
        if self.split.method == "time" and not self.timestamp_column:
            raise ValueError(
                "split.method 'time' orders rows by data.timestamp_column, which is empty; "
                "name the column that holds each row's time, or use split.method: random"
            )
        for role, name in (("entity_column", self.entity_column), ("timestamp_column", self.timestamp_column)):
            if name in DERIVED_COLUMNS:
                raise ValueError(f"{role} {name!r} is a column ingest derives itself; leave {role} empty instead")
        used = {"target": self.target, "entity_column": self.entity_column, "timestamp_column": self.timestamp_column}
        for role, name in used.items():
            if name and name in self.drop_columns:
                raise ValueError(f"drop_columns lists {name!r}, which is data.{role}")
        return self

    @property
    def entity_key(self) -> str:
        """The column the feature store keys rows by: `entity_column`, or the key ingest derives."""
        return self.entity_column or ROW_KEY_COLUMN

    @property
    def event_time(self) -> str:
        """The column the point-in-time join orders by: `timestamp_column`, or ingest's snapshot time."""
        return self.timestamp_column or SNAPSHOT_TIME_COLUMN


class FeaturesConfig(_Section):
    numeric: list[str] = Field(default_factory=list)
    categorical: list[str] = Field(default_factory=list)
    # Declared transforms (see components/features/README.md); checked by mlops.features.
    transforms: list[dict[str, Any]] = Field(default_factory=list)
    # The feature store view this problem's features are written to. Empty: the problem's name
    # (PipelineConfig.feature_view), so two problems in one project never share a view by default.
    view_name: str = Field(default="", pattern=r"^([a-z][a-z0-9_]{0,59})?$")

    @model_validator(mode="after")
    def _some_features(self) -> FeaturesConfig:
        if not self.numeric and not self.categorical:
            raise ValueError("declare at least one numeric or categorical feature")
        if overlap := set(self.numeric) & set(self.categorical):
            raise ValueError(f"columns both numeric and categorical: {sorted(overlap)}")
        return self


class ValidationConfig(_Section):
    schema_file: str = Field(default="", description="a schema file; empty: infer it from the train split")
    max_violation_rate: float = Field(default=0.0, ge=0, le=1)


class ModelConfig(_Section):
    type: ModelType = "lightgbm"
    params: dict[str, Any] = Field(default_factory=dict)
    seed: int = 42


class ChampionConfig(_Section):
    metric: str
    margin: float = Field(default=0.0, ge=0)


class RegistryConfig(_Section):
    model_name: str = Field(pattern=r"^[a-z][a-z0-9-_]{0,62}$")
    labels: dict[str, str] = Field(default_factory=dict)


class StepResources(_Section):
    cpu: str = "1"
    memory: str = "4G"
    # Transient errors (network, 429, 5xx) the step retries itself; its own errors are never retried
    # (mlops.retries). Both runners.
    retries: int = Field(default=0, ge=0, le=5)
    # Vertex AI only: KFP re-runs the task after ANY failure (a preempted node, but also a bad input),
    # 30 s, 60 s, ... apart. The local runner ignores it. For steps on preemptible machines.
    infrastructure_retries: int = Field(default=0, ge=0, le=5)


class PipelineConfig(_Section):
    """A whole training pipeline configuration."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")
    data: DataConfig
    features: FeaturesConfig
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    champion: ChampionConfig
    registry: RegistryConfig
    resources: dict[str, StepResources] = Field(default_factory=dict)
    # Where the run-end webhook's URL is read at run time (env:NAME or secretmanager:...), never the
    # URL: a parameter is visible in the console and the compiled spec (mlops.alerts.secrets).
    notify_webhook: str = ""
    schedule: ScheduleConfig | None = None  # `mlops schedule create` (mlops.schedule_config)
    monitoring: MonitoringConfig = Field(default_factory=MonitoringConfig)  # docs/monitoring.md

    @field_validator("notify_webhook")
    @classmethod
    def _webhook_is_a_reference(cls, value: str) -> str:
        return check_reference(value)

    @model_validator(mode="after")
    def _metric_fits_problem(self) -> PipelineConfig:
        allowed = METRICS_BY_PROBLEM[self.data.problem_type]
        if self.champion.metric not in allowed:
            raise ValueError(
                f"champion.metric {self.champion.metric!r} does not apply to {self.data.problem_type}; "
                f"use one of {', '.join(allowed)}"
            )
        if self.data.target in self.features.numeric + self.features.categorical:
            raise ValueError(f"target {self.data.target!r} is also listed as a feature")
        spec = self.feature_spec()
        listed = self.features.numeric + self.features.categorical
        if undeclared := [name for name in listed if name not in spec.feature_names]:
            raise ValueError(f"features {undeclared} are not produced by any transform in features.transforms")
        for transform in spec.transforms:
            if dropped := [column for column in transform.inputs() if column in self.data.drop_columns]:
                raise ValueError(
                    f"features.transforms {transform.name!r} reads {dropped}, which data.drop_columns drops"
                )
        # Monitoring scores the raw inputs the server logs, so thresholds name those columns.
        numeric, categorical = self.monitored_features()
        where = "this model (monitored: its raw inputs, as serving logs them)"
        self.monitoring.check_features([*numeric, *categorical], where=where)
        return self

    def feature_spec(self) -> FeatureSpec:
        """The declared transforms as a validated FeatureSpec (raises ValueError naming the problem)."""
        try:
            return load_spec(
                {
                    "entity_column": self.data.entity_key,
                    "timestamp_column": self.data.event_time,
                    "transforms": self.features.transforms,
                },
                source="features.transforms",
            )
        except FeatureError as error:
            raise ValueError(str(error)) from None

    def monitored_features(self) -> tuple[list[str], list[str]]:
        """(numeric, categorical) columns the baseline and the request log share (mlops.monitoring.features)."""
        return monitored_features(self.features.numeric, self.features.categorical, self.features.transforms)

    def feature_view(self) -> str:
        """`features.view_name`, or by default the problem's name as a view name (`-` becomes `_`)."""
        return self.features.view_name or self.name.replace("-", "_")[:60]

    def resources_for(self, step: str) -> StepResources:
        return self.resources.get(step, StepResources())


def load_pipeline_config(path: str | Path) -> PipelineConfig:
    """Read and validate a pipeline config file; errors name the file and the key."""
    path = Path(path)
    return validate_model(PipelineConfig, read_yaml_mapping(path), path)
