"""Load a pipeline's published spec and submit it as a Vertex AI PipelineJob.

The Vertex AI SDK (~1.5 s to import) and the GCS client that comes with it are imported here,
inside the calls, so the function's module loads fast and a request that is refused early
(a bad event, an object outside the prefix) never pays for them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mlops import pipeline_spec
from mlops.google_api import credentials_for
from triggers.config import TriggerConfig
from triggers.events import RunRequest


class SpecError(Exception):
    """The published spec is missing, unreadable or cannot run as asked: the operator's to fix."""


class UnknownParameters(Exception):
    """The request sets parameters the spec does not declare; `names` lists them."""

    def __init__(self, names: list[str], spec_uri: str) -> None:
        super().__init__(f"{spec_uri} declares no parameter(s) {names}")
        self.names = names


class Transient(Exception):
    """The API or GCS failed in a way a retry may fix (429, 5xx, no connection)."""


class Refused(Exception):
    """Vertex AI refused the job for a reason a retry will not fix (400, 403, 404)."""


@dataclass(frozen=True)
class Submitted:
    job_name: str  # projects/P/locations/L/pipelineJobs/ID
    already_started: bool  # the job id existed: a redelivered event, nothing new was started


def read_spec(uri: str, config: TriggerConfig) -> dict[str, Any]:
    """The compiled spec at `uri` (gs:// or a local path) as a mapping."""
    try:
        data = _read_gcs(uri, config) if uri.startswith("gs://") else Path(uri).read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{uri}: no compiled spec there; has CI/CD published this pipeline?") from None
    spec = yaml.safe_load(data)
    if not isinstance(spec, dict) or "root" not in spec or "pipelineInfo" not in spec:
        raise SpecError(f"{uri}: not a compiled pipeline spec (no root or pipelineInfo)")
    return spec


def _read_gcs(uri: str, config: TriggerConfig) -> bytes:
    from google.api_core import exceptions  # pants: no-infer-dep
    from google.cloud import storage  # pants: no-infer-dep (from gcsfs, which mlops.storage needs)

    client = storage.Client(project=config.MLOPS_PROJECT)  # STORAGE_EMULATOR_HOST, if set, is honoured
    try:
        return storage.Blob.from_uri(uri, client=client).download_as_bytes()
    except exceptions.NotFound:
        raise FileNotFoundError(uri) from None
    except _transient_errors() as error:
        raise Transient(f"reading {uri}: {error}") from None
    except exceptions.GoogleAPICallError as error:
        raise SpecError(f"{uri}: cannot read the spec: {error}") from None


def run_parameters(spec: Mapping[str, Any], request: RunRequest, spec_uri: str) -> dict[str, Any]:
    """The request's parameters, checked against the spec; the lineage label added to the spec's
    `model_labels` default (what `mlops run` adds in mlops_cli.commands.run_parameters)."""
    if unknown := pipeline_spec.unknown_parameters(spec, request.parameters):
        raise UnknownParameters(unknown, spec_uri)
    values = dict(request.parameters)
    if missing := pipeline_spec.missing_parameters(spec, values):
        raise SpecError(
            f"{spec_uri} has no default for parameter(s) {missing}: publish it with `mlops compile --with-defaults`"
        )
    from mlops.runs import run_label  # here: mlops.runs loads fsspec, which nothing else needs

    labels = pipeline_spec.defaults(spec).get("model_labels")
    if "model_labels" not in values and isinstance(labels, dict):
        values["model_labels"] = {**labels, "mlops_run_id": run_label(request.job_id)}
    return values


def submit(spec: dict[str, Any], parameters: dict[str, Any], request: RunRequest, config: TriggerConfig) -> Submitted:
    """Create the PipelineJob with the request's job id, run as MLOPS_SERVICE_ACCOUNT."""
    from google.api_core import exceptions  # pants: no-infer-dep
    from google.cloud import aiplatform

    credentials = _init_sdk(config)
    name = spec["pipelineInfo"]["name"]
    with tempfile.TemporaryDirectory() as folder:  # the SDK reads the template from a path
        template = Path(folder, "spec.yaml")
        template.write_text(yaml.safe_dump(spec), encoding="utf-8")
        job = aiplatform.PipelineJob(
            display_name=name,
            template_path=str(template),
            job_id=request.job_id,
            pipeline_root=config.MLOPS_PIPELINE_ROOT,
            parameter_values=parameters,
            enable_caching=None,  # the spec's per-task caching, as `mlops run` submits it
            # `mlops runs list` finds runs by these labels (mlops_cli.vertex_runner.job_labels).
            labels={"mlops_pipeline": name[:63], "mlops_runner": "vertex", "mlops_trigger": request.trigger},
            credentials=credentials,
        )
    parent = f"projects/{config.MLOPS_PROJECT}/locations/{config.MLOPS_REGION}"
    job_name = f"{parent}/pipelineJobs/{request.job_id}"
    try:
        job.submit(service_account=config.MLOPS_SERVICE_ACCOUNT)
    except exceptions.Conflict as error:
        if _already_exists(error):
            return Submitted(job_name, already_started=True)
        raise Transient(f"Vertex AI: {error}") from None  # ABORTED (409 too): a concurrent change
    except _transient_errors() as error:
        raise Transient(f"Vertex AI: {error}") from None
    except exceptions.GoogleAPICallError as error:
        raise Refused(f"Vertex AI refused {job_name}: {error}") from None
    return Submitted(job.resource_name, already_started=False)


def recent_runs(pipeline_name: str, trigger: str, since: datetime, config: TriggerConfig) -> list[str]:
    """The PipelineJobs of the spec named `pipeline_name` that `trigger` started after `since`
    (found by the labels `submit` gives them), newest first."""
    from google.api_core import exceptions  # pants: no-infer-dep
    from google.cloud import aiplatform

    credentials = _init_sdk(config)
    labels = f'labels.mlops_pipeline="{pipeline_name[:63]}" AND labels.mlops_trigger="{trigger}"'
    query = f'{labels} AND create_time>"{since.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"'
    try:
        jobs = aiplatform.PipelineJob.list(filter=query, credentials=credentials)
    except _transient_errors() as error:
        raise Transient(f"Vertex AI: {error}") from None
    except exceptions.GoogleAPICallError as error:
        raise Refused(f"Vertex AI refused listing the pipeline jobs ({query}): {error}") from None
    return [job.resource_name for job in sorted(jobs, key=lambda job: job.create_time, reverse=True)]


def _init_sdk(config: TriggerConfig) -> Any:
    """Point the Vertex AI SDK at the project (and MLOPS_API_ENDPOINT, if set); its credentials."""
    from google.cloud import aiplatform

    options: dict[str, Any] = {"project": config.MLOPS_PROJECT, "location": config.MLOPS_REGION}
    if config.MLOPS_API_ENDPOINT:
        options.update(api_endpoint=config.MLOPS_API_ENDPOINT, api_transport="rest")
    credentials = credentials_for(None, config.MLOPS_API_ENDPOINT)
    if credentials is not None:
        options["credentials"] = credentials
    aiplatform.init(**options)
    return credentials


def _already_exists(error: Any) -> bool:
    """Whether a 409 is ALREADY_EXISTS. Over REST the SDK raises the HTTP code's class (Conflict)
    for both ALREADY_EXISTS and ABORTED; the status is in the answer's JSON."""
    from google.api_core import exceptions  # pants: no-infer-dep

    if isinstance(error, exceptions.AlreadyExists):
        return True
    try:
        return bool(error.response.json()["error"]["status"] == "ALREADY_EXISTS")
    except (AttributeError, KeyError, TypeError, ValueError):
        return "already exists" in str(error)


def _transient_errors() -> tuple[type[BaseException], ...]:
    """What a retry may fix: 429, 5xx, timeouts and connections that failed."""
    from google.api_core import exceptions  # pants: no-infer-dep
    from google.auth import exceptions as auth_exceptions  # pants: no-infer-dep

    return (
        exceptions.TooManyRequests,
        exceptions.ServerError,
        exceptions.DeadlineExceeded,
        exceptions.RetryError,
        OSError,  # the REST transport's connection errors and timeouts (requests' are OSErrors)
        auth_exceptions.TransportError,
    )
