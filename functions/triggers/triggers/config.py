"""The functions' runtime configuration: environment variables set by Terraform, read per request.

Validated with pydantic before anything else runs. A missing or invalid variable is the operator's
error, not the caller's: the answer is a 500 that names the variable, and the log line says why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

# A pipeline config's `name:` (mlops.pipeline_config); job ids are built from it, so it stays strict.
PIPELINE_NAME = r"^[a-z][a-z0-9-]{0,62}$"


class ConfigError(Exception):
    """An environment variable is missing or invalid; `variable` names it."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable


def _names(value: Any) -> Any:
    """`a, b` -> ["a", "b"]: the comma-separated list the variable holds."""
    return [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else value


class TriggerConfig(BaseModel):
    """What every trigger function needs to submit a PipelineJob."""

    # Field names are the variables' own, so pydantic's errors name the variable.
    model_config = ConfigDict(extra="ignore", frozen=True)

    MLOPS_PROJECT: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    MLOPS_REGION: str = Field(pattern=r"^[a-z]+-[a-z]+[0-9]+$")
    MLOPS_PIPELINE_ROOT: str = Field(pattern=r"^gs://[^/]+(/.*)?$")
    MLOPS_SERVICE_ACCOUNT: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]@[a-z0-9.-]+\.iam\.gserviceaccount\.com$")
    # Where CI/CD publishes compiled specs: {MLOPS_SPECS_URI}/{pipeline}/latest.yaml (a local
    # folder works too, for tests and local runs).
    MLOPS_SPECS_URI: str = Field(min_length=1)
    # Optional: a regional or Private Service Connect endpoint of the Vertex AI API; an http://
    # endpoint (a local fake) is called over REST with anonymous credentials.
    MLOPS_API_ENDPOINT: str | None = None

    @field_validator("MLOPS_SPECS_URI")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def spec_uri(self, pipeline: str) -> str:
        return f"{self.MLOPS_SPECS_URI}/{pipeline}/latest.yaml"


class ScheduledRunConfig(TriggerConfig):
    """The HTTP function: which pipelines Cloud Scheduler may start."""

    MLOPS_PIPELINES: Annotated[list[Annotated[str, Field(pattern=PIPELINE_NAME)]], BeforeValidator(_names)] = Field(
        min_length=1
    )


class NewDataRunConfig(TriggerConfig):
    """The CloudEvent function: which pipeline a new object under the prefix starts, and how."""

    MLOPS_PIPELINE: str = Field(pattern=PIPELINE_NAME)
    MLOPS_DATA_PREFIX: str = Field(pattern=r"^gs://[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]/.*$")
    MLOPS_DATA_PARAMETER: str = Field(default="source_uri", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


def _json(value: Any) -> Any:
    """The variable's JSON text, parsed (Terraform writes it with jsonencode)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as error:
        raise ValueError(f"expected a JSON object like {{\"churn-classifier\": \"churn\"}}: {error}") from None


class DriftRunConfig(TriggerConfig):
    """The Pub/Sub function: which pipeline retrains which model when its features drift."""

    # Registered model name (an alert's `fields.model`) -> pipeline config name.
    MLOPS_RETRAIN_PIPELINES: Annotated[
        dict[Annotated[str, Field(min_length=1)], Annotated[str, Field(pattern=PIPELINE_NAME)]],
        BeforeValidator(_json),
    ] = Field(min_length=1)
    # While a model's drift persists, every monitoring window raises a new alert; without a pause
    # each would start another training run (that may again lose to the champion). At most one
    # drift-started run per pipeline within this many hours; 0: no pause.
    MLOPS_RETRAIN_COOLDOWN_HOURS: float = Field(default=72.0, ge=0, le=24 * 365)


ConfigT = TypeVar("ConfigT", bound=TriggerConfig)


def load(model: type[ConfigT], environ: Mapping[str, str]) -> ConfigT:
    """The config from `environ` (the process environment, read per request); ConfigError naming
    the first bad variable. An empty variable counts as unset, as Terraform may leave one empty."""
    values = {key: value for key, value in environ.items() if key.startswith("MLOPS_") and value.strip()}
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        variable = str(first["loc"][0]) if first["loc"] else model.__name__
        problem = "is not set" if first["type"] == "missing" else f"{first['msg']} (got {first['input']!r})"
        raise ConfigError(variable, problem) from None
