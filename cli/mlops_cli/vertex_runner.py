"""Submit a compiled pipeline to Vertex AI Pipelines, follow it, and read runs back.

Everything goes through the official SDK (google-cloud-aiplatform). Tests point it at a local fake
of the REST API through `gcp.api_endpoint` and anonymous credentials.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mlops.config import Settings
from mlops.google_api import credentials_for
from mlops.runs import RunRecord, TaskRecord
from mlops_cli.sdk_internals import check_version, console_link, refresh

_TERMINAL = {"PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED"}


class VertexRunError(Exception):
    """The environment cannot run on Vertex AI as configured."""


def init_sdk(settings: Settings, credentials: Any = None) -> Any:
    from google.cloud import aiplatform

    options: dict[str, Any] = {"project": settings.gcp.project_id, "location": settings.gcp.region}
    if settings.gcp.staging_bucket:
        options["staging_bucket"] = settings.gcp.staging_bucket
    if settings.gcp.api_endpoint:
        options.update(api_endpoint=settings.gcp.api_endpoint, api_transport="rest")
    credentials = credentials_for(credentials, settings.gcp.api_endpoint)
    if credentials is not None:
        options["credentials"] = credentials
    aiplatform.init(**options)
    return aiplatform


def job_labels(record: RunRecord) -> dict[str, str]:
    """GCP labels: lowercase, <= 63 chars; used to find our runs again."""
    return {
        "mlops_pipeline": record.pipeline[:63],
        "mlops_environment": record.environment,
        "mlops_runner": "vertex",
    }


def build_job(
    spec_path: Path,
    parameters: Mapping[str, Any],
    settings: Settings,
    record: RunRecord,
    *,
    enable_caching: bool = True,
    credentials: Any = None,
) -> Any:
    """The PipelineJob for a compiled spec, as `submit` sends it and `mlops schedule` schedules it."""
    if not settings.gcp.pipeline_root.startswith("gs://"):
        raise VertexRunError(
            f"gcp.pipeline_root must be a gs:// URI to run on Vertex AI, got {settings.gcp.pipeline_root!r} "
            f"(environment {settings.environment!r})"
        )
    aiplatform = init_sdk(settings, credentials)
    return aiplatform.PipelineJob(
        display_name=record.pipeline,
        template_path=str(spec_path),
        job_id=record.run_id,
        pipeline_root=settings.gcp.pipeline_root,
        parameter_values=dict(parameters),
        # None keeps the spec's per-task caching (champion and register are never cached); True
        # would force caching on for every task. False turns it off everywhere.
        enable_caching=None if enable_caching else False,
        labels=job_labels(record),
        credentials=credentials,
    )


def submit(
    spec_path: Path,
    parameters: Mapping[str, Any],
    settings: Settings,
    record: RunRecord,
    *,
    enable_caching: bool = True,
    wait: bool = False,
    credentials: Any = None,
    poll_seconds: float = 30.0,
) -> RunRecord:
    """Create the PipelineJob with our own job id; with `wait`, follow it to the end."""
    check_version("google-cloud-aiplatform")  # before submitting: following the job needs the SDK's internals
    job = build_job(spec_path, parameters, settings, record, enable_caching=enable_caching, credentials=credentials)
    job.submit(service_account=settings.gcp.service_account)
    record.parameters = dict(parameters)
    record.links["resource"] = job.resource_name
    record.links["console"] = console_link(job)
    print(f"mlops: submitted {job.resource_name}\nmlops: follow it at {record.links['console']}", file=sys.stderr)
    if wait:
        follow(job, record, poll_seconds)
    return record


def follow(job: Any, record: RunRecord, poll_seconds: float) -> RunRecord:
    """Poll the job until it ends, printing each task's state changes."""
    seen: dict[str, str] = {}
    started = time.monotonic()
    while True:
        refresh(job)
        for task in job.gca_resource.job_detail.task_details:
            state = task.state.name
            if seen.get(task.task_name) != state:
                seen[task.task_name] = state
                print(f"mlops: {task.task_name}: {state}", file=sys.stderr, flush=True)
        if job.state.name in _TERMINAL:
            break
        time.sleep(poll_seconds)
    fill_from_job(job.gca_resource, record)
    record.duration_seconds = round(time.monotonic() - started, 3)
    for name, message in failed_tasks(job.gca_resource):
        print(f"mlops: step {name} failed: {message}", file=sys.stderr, flush=True)
    if record.status == "FAILED":
        where = record.links.get("console", "the PipelineJob in the Cloud console")
        print(f"mlops: the steps' logs: {where}", file=sys.stderr)
    return record


def failed_tasks(resource: Any) -> list[tuple[str, str]]:
    """(task name, error message) of every failed step of a PipelineJob resource.

    The DAGs around the steps (the root and the exit handler's) fail with them, saying only that
    an inner task failed: they are left out, so the step's own error is what is shown.
    """
    dags = {resource.display_name, *_dag_names(resource)}
    return [
        (task.task_name, task.error.message)
        for task in resource.job_detail.task_details
        if task.state.name == "FAILED" and task.error.message and task.task_name not in dags
    ]


def _dag_names(resource: Any) -> set[str]:
    """Names of the tasks that are DAGs (exit handlers, conditions), read from the job's spec."""
    spec = type(resource).to_dict(resource).get("pipeline_spec") or {}
    components = spec.get("components", {})
    names = set()
    for component in [spec.get("root", {}), *components.values()]:
        for key, task in component.get("dag", {}).get("tasks", {}).items():
            if "dag" in components.get(task.get("componentRef", {}).get("name", ""), {}):
                names.add(task.get("taskInfo", {}).get("name", key))
    return names


def fill_from_job(resource: Any, record: RunRecord) -> RunRecord:
    """Copy a PipelineJob resource's state and per-task details into a run record."""
    record.status = resource.state.name.removeprefix("PIPELINE_STATE_")
    record.tasks = []
    # In start order, as a local run records them: lineage lists outputs in task order.
    by_start = sorted(
        resource.job_detail.task_details, key=lambda task: task.start_time.timestamp() if task.start_time else 1e18
    )
    for task in by_start:
        if task.task_name == resource.display_name:
            continue  # the root DAG
        duration = 0.0
        if task.start_time and task.end_time:
            duration = (task.end_time - task.start_time).total_seconds()
        outputs = {name: {"uri": item.artifacts[0].uri} for name, item in task.outputs.items() if item.artifacts}
        status = "CACHED" if task.state.name == "SKIPPED" else task.state.name  # Vertex reports cache hits as SKIPPED
        record.tasks.append(TaskRecord(task.task_name, status, str(task.start_time or ""), duration, 1, outputs))
    errors = [resource.error.message] if resource.error and resource.error.message else []
    errors += [f"step {name} failed: {message}" for name, message in failed_tasks(resource)]
    if errors:
        record.error = "; ".join(errors)
    return record


def list_runs(settings: Settings, limit: int = 20, credentials: Any = None) -> list[RunRecord]:
    aiplatform = init_sdk(settings, credentials)
    jobs = aiplatform.PipelineJob.list(filter='labels.mlops_runner="vertex"', order_by="create_time desc")[:limit]
    return [_record_of(job.gca_resource, settings) for job in jobs]


def get_run(settings: Settings, run_id: str, credentials: Any = None) -> RunRecord:
    aiplatform = init_sdk(settings, credentials)
    job = aiplatform.PipelineJob.get(run_id)
    return _record_of(job.gca_resource, settings)


def _record_of(resource: Any, settings: Settings) -> RunRecord:
    record = RunRecord(
        run_id=resource.name.rsplit("/", 1)[-1],
        pipeline=resource.display_name,
        runner="vertex",
        environment=settings.environment,
        started_at=str(resource.create_time),
        # As plain JSON values: the resource's map holds protobuf Values (lists and maps included).
        parameters=type(resource).to_dict(resource).get("runtime_config", {}).get("parameter_values", {}),
    )
    return fill_from_job(resource, record)
