"""Typed, validated project configuration: one YAML file per environment (config/<env>.yaml).

Everything a run needs is read and validated up front, before any work starts, and every
problem is reported at once with the file, the dotted key and what is wrong with it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mlops import storage
from mlops.problems import problems

ENVIRONMENTS = ("local", "dev", "prod")
_ModelT = TypeVar("_ModelT", bound=BaseModel)


class ConfigError(Exception):
    """A config file is missing, unreadable or invalid. The message is meant for the user."""


class _Section(BaseModel):
    # Unknown keys are almost always typos; rejecting them beats silently ignoring a setting.
    model_config = ConfigDict(extra="forbid", frozen=True)


class GcpConfig(_Section):
    """Where production runs happen. Unused by purely local runs, but still validated."""

    project_id: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: str = "europe-west2"
    service_account: str | None = None
    pipeline_root: str = Field(description="Storage URI for pipeline artifacts (gs://... in GCP).")
    staging_bucket: str | None = None
    # A regional or Private Service Connect endpoint; None uses the SDK's default for `region`.
    api_endpoint: str | None = None

    @field_validator("service_account")
    @classmethod
    def _service_account_is_email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"expected a service account e-mail, got {value!r}")
        return value


class ImagesConfig(_Section):
    """Where component images are pushed and pulled from."""

    registry: str = Field(
        default="localhost:5000",
        description="Image registry: the local one, or an Artifact Registry repository in GCP.",
    )
    repository: str = "vertex-mlops"


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    json_output: bool = Field(default=True, alias="json")
    labels: dict[str, str] = Field(default_factory=dict)


class RequestLoggingConfig(_Section):
    """Vertex AI request-response logging of an endpoint's predictions into a BigQuery table."""

    enabled: bool = False
    sampling_rate: float = Field(default=0.1, gt=0, le=1, description="Share of requests logged, in (0, 1].")
    # bq://PROJECT.DATASET.TABLE, or bq://PROJECT.DATASET (Vertex AI then names the table itself).
    bigquery_table: str = Field(default="", pattern=r"^(bq://[a-z][a-z0-9-]{4,28}[a-z0-9]\.\w+(\.[\w$-]+)?)?$")

    @model_validator(mode="after")
    def _table_when_enabled(self) -> RequestLoggingConfig:
        if self.enabled and not self.bigquery_table:
            raise ValueError("bigquery_table is required when request-response logging is enabled")
        return self


class ModelMonitoringConfig(_Section):
    """Where and when Vertex AI Model Monitoring runs for a deployed version (`mlops monitor-vertex`,
    mlops.monitoring.vertex); thresholds and windows come from the pipeline config's `monitoring:`."""

    # Vertex writes each monitoring job's results here; terraform's `monitoring` bucket.
    output_uri: str = Field(default="", pattern=r"^(gs://[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](/.*)?)?$")
    cron: str = Field(default="TZ=UTC 0 2 * * *", description="When the skew and drift jobs run (cron, optional TZ=)")
    emails: list[str] = Field(default_factory=list, description="Addresses Vertex AI e-mails alerts to")
    # Cloud Monitoring channels (projects/P/notificationChannels/ID), e.g. terraform's alerting module's.
    notification_channels: list[str] = Field(default_factory=list)


class ServingConfig(_Section):
    """How models are deployed for online prediction (docs/deploying.md)."""

    # The endpoint a model is deployed to unless --endpoint names one; `{model}` is the model name.
    endpoint_name: str = Field(default="{model}-endpoint", pattern=r"^[A-Za-z0-9{][A-Za-z0-9_{}-]{0,127}$")
    machine_type: str = Field(default="n1-standard-2", pattern=r"^[a-z0-9][a-z0-9-]*$")
    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(default=1, ge=1)
    request_logging: RequestLoggingConfig = Field(default_factory=RequestLoggingConfig)
    model_monitoring: ModelMonitoringConfig = Field(default_factory=ModelMonitoringConfig)
    # The identity deployed models run as on Vertex AI (terraform/ creates it); None: Vertex's default.
    service_account: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+$")
    # Local target: how long `mlops deploy` waits for the server's health route to answer 200.
    health_timeout_seconds: float = Field(default=60.0, gt=0)

    @field_validator("endpoint_name")
    @classmethod
    def _only_the_model_placeholder(cls, value: str) -> str:
        try:
            value.format(model="m")
        except (KeyError, IndexError, ValueError):
            raise ValueError(f"{value!r}: the only placeholder allowed is {{model}}") from None
        return value

    @model_validator(mode="after")
    def _replicas_in_order(self) -> ServingConfig:
        if self.max_replicas < self.min_replicas:
            raise ValueError(f"max_replicas ({self.max_replicas}) is less than min_replicas ({self.min_replicas})")
        return self

    def endpoint_for(self, model_name: str) -> str:
        """The endpoint name `model_name` is deployed to by default."""
        return self.endpoint_name.format(model=model_name)


class DeliveryConfig(_Section):
    """Where CI/CD publishes compiled pipeline specs and records what it deployed (docs/delivery.md).

    Cloud Build, the trigger functions and Terraform all read these, so they agree on one layout:
    `{specs_uri}/{pipeline config}/{commit}.yaml` and `.../latest.yaml`, and one record per
    environment under `deploy_records_uri`.
    """

    specs_uri: str = Field(default="", description="gs://BUCKET/PREFIX (or a local folder) for compiled specs.")
    # An Artifact Registry KFP repository, https://REGION-kfp.pkg.dev/PROJECT/REPO; "" publishes to GCS only.
    kfp_repository: str = Field(
        default="", pattern=r"^(https://[a-z0-9-]+-kfp\.pkg\.dev/[a-z][a-z0-9-]+/[a-z0-9-]+)?$"
    )
    deploy_records_uri: str = Field(
        default="", description="gs://BUCKET/PREFIX (or a local folder) for deploy records."
    )


class Settings(_Section):
    """The whole configuration of one environment."""

    environment: Literal["local", "dev", "prod"]
    gcp: GcpConfig
    images: ImagesConfig = Field(default_factory=ImagesConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    serving: ServingConfig = Field(default_factory=ServingConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    storage_root: str = Field(description="Base URI for datasets, models and run records.")
    registry_uri: str = Field(default="", description="Model registry: a path/URI, or vertex://PROJECT/REGION.")
    feature_store_uri: str = Field(default="", description="Feature store: a path/URI, or vertex://PROJECT/REGION?...")
    metadata_dir: str = Field(default=".mlops/metadata", description="Local run metadata store (MLflow on SQLite).")

    def resolved_registry_uri(self) -> str:
        return self.registry_uri or storage.join(self.storage_root, "registry")

    def resolved_feature_store_uri(self) -> str:
        return self.feature_store_uri or storage.join(self.storage_root, "feature-store")


def default_config_dir() -> Path:
    """`$MLOPS_CONFIG_DIR`, else the nearest `config/` folder above the working directory."""
    if explicit := os.environ.get("MLOPS_CONFIG_DIR"):
        return Path(explicit)
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / "config" / "local.yaml").is_file():
            return folder / "config"
    return Path.cwd() / "config"


def resolve_config_path(env_or_path: str, config_dir: Path | None = None) -> Path:
    """Accept an environment name (`dev`) or a path to a YAML file."""
    if env_or_path in ENVIRONMENTS:
        return (config_dir or default_config_dir()) / f"{env_or_path}.yaml"
    return Path(env_or_path)


def load_settings(
    env_or_path: str,
    *,
    config_dir: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read, merge overrides into and validate one environment's config file.

    `overrides` maps dotted keys to values (`{"gcp.region": "us-central1"}`), e.g. from `--set`.
    """
    path = resolve_config_path(env_or_path, config_dir)
    raw = read_yaml_mapping(path)
    for dotted_key, value in (overrides or {}).items():
        _set_dotted(raw, dotted_key, value)
    return validate_model(Settings, raw, path)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file whose top level must be a mapping; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file: {error.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        raise ConfigError(f"{path}: config file is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def validate_model(model: type[_ModelT], raw: Mapping[str, Any], path: Path | str) -> _ModelT:
    """Validate `raw` as `model`, turning every pydantic error into one readable ConfigError."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        found = problems(error, unknown_key="unknown key (check the spelling; see docs/configuration.md)")
        lines = [f"{path}: {error.error_count()} problem(s) in config:", *(f"  - {line}" for line in found)]
        raise ConfigError("\n".join(lines)) from None


def _set_dotted(raw: dict[str, Any], dotted_key: str, value: Any) -> None:
    *parents, leaf = dotted_key.split(".")
    node = raw
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {dotted_key!r}: {part!r} is not a section")
        node = child
    node[leaf] = value
