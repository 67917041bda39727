"""The batch prediction pipeline's configuration: which table, which model, where the predictions go.

Its own file per problem (e.g. config/pipelines/churn-batch.yaml, `pipeline: batch_prediction`), not
a section of the training file: the CLI picks the pipeline by a file's `pipeline:` key, and scoring
a table must not need the training settings (or change when they do). The model comes from the
environment's registry, by name, like the training pipeline registers it.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from mlops.config import _Section
from mlops.pipeline_config import CsvConfig, StepResources
from mlops.schedule_config import ScheduleConfig

STEP = "batch_predict"


class BatchSection(_Section):
    """What to predict, with which model, and where to write it."""

    source: str = Field(description="CSV/Parquet file, glob or folder (local or gs://), or bq://PROJECT.DATASET.TABLE")
    model_name: str = Field(pattern=r"^[a-z][a-z0-9-_]{0,62}$", description="the registered model")
    version: str = Field(default="", pattern=r"^([0-9]+)?$", description="a version number; empty: the default")
    output: str = Field(description="a .parquet file (local path or gs://) or a table bq://PROJECT.DATASET.TABLE")
    key_columns: list[str] = Field(default_factory=list, description="input columns copied beside each prediction")
    chunk_rows: int = Field(default=50_000, ge=1_000, le=1_000_000, description="rows predicted at a time")
    csv: CsvConfig = Field(default_factory=CsvConfig)

    @field_validator("output")
    @classmethod
    def _parquet(cls, value: str) -> str:
        if not value.endswith(".parquet") and not value.startswith("bq://"):
            raise ValueError(f"must be a .parquet file (local or gs://) or bq://PROJECT.DATASET.TABLE, got {value!r}")
        return value

    @field_validator("key_columns")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"lists a column twice: {value}")
        return value


class BatchPredictionConfig(_Section):
    """A whole batch prediction configuration."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")
    batch: BatchSection
    resources: dict[str, StepResources] = Field(default_factory=dict)
    schedule: ScheduleConfig | None = None  # `mlops schedule create` (mlops.schedule_config)

    @model_validator(mode="after")
    def _known_steps(self) -> BatchPredictionConfig:
        if unknown := sorted(set(self.resources) - {STEP}):
            raise ValueError(f"resources: unknown step(s) {unknown}; the only step is {STEP}")
        return self

    def resources_for(self, step: str) -> StepResources:
        return self.resources.get(step, StepResources())
