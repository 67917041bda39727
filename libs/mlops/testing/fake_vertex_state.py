"""In-memory state of the fake Vertex AI API: models with versions and aliases, pipeline jobs.

Resources are kept as the JSON dictionaries the REST API returns (camelCase field names), so the
server can hand them back unchanged and tests can read them the way the real API shows them.
Every method raises `ApiError` with the HTTP status and the canonical status name that Vertex AI
would answer with, so the SDK raises the same `google.api_core.exceptions` class it would in GCP.
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ALIAS_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$")
FINAL_PIPELINE_STATES = {"PIPELINE_STATE_SUCCEEDED", "PIPELINE_STATE_FAILED", "PIPELINE_STATE_CANCELLED"}


class ApiError(Exception):
    """An error answer of the fake API: HTTP code, canonical status and message."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def now() -> str:
    """The current time as an RFC 3339 timestamp, as the REST API writes them."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def matches_filter(resource: dict[str, Any], expression: str) -> bool:
    """Whether `resource` passes a list filter of `field="value"` clauses joined with AND.

    Fields: `display_name` / `displayName`, `labels.KEY`, `create_model_monitoring_job_request.parent`,
    and `create_time` compared with `=`, `>`, `>=`, `<` or `<=` to an RFC 3339 time. Anything else
    is a 400, so a test notices a filter the fake would silently ignore.
    """
    for clause in filter(None, (part.strip() for part in re.split(r"\s+AND\s+", expression or ""))):
        found = re.fullmatch(r'([\w.]+)\s*(>=|<=|=|>|<)\s*"?([^"]*)"?', clause)
        if not found:
            raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: unsupported filter clause {clause!r}")
        key, operator, value = found.groups()
        if key == "create_time":
            if not _compare(_time(resource.get("createTime", "")), operator, _time(value)):
                return False
            continue
        if operator != "=":
            raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: {key} compares with = only, got {clause!r}")
        if key in ("display_name", "displayName"):
            actual = resource.get("displayName")
        elif key.startswith("labels."):
            actual = resource.get("labels", {}).get(key.split(".", 1)[1])
        elif key == "create_model_monitoring_job_request.parent":  # ModelMonitor.list_schedules
            actual = resource.get("createModelMonitoringJobRequest", {}).get("parent")
        else:
            raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: unsupported filter field {key!r}")
        if actual != value:
            return False
    return True


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: not an RFC 3339 time: {text!r}") from None


def _compare(left: datetime, operator: str, right: datetime) -> bool:
    results = {"=": left == right, ">": left > right, ">=": left >= right, "<": left < right, "<=": left <= right}
    return results[operator]


@dataclass
class FakeModel:
    """One registered model: its versions in order (version id "1", "2", ...)."""

    model_id: str
    name: str
    versions: list[dict[str, Any]] = field(default_factory=list)
    evaluations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def version(self, selector: str | None) -> dict[str, Any]:
        """The version named by a version id, an alias, or the default version when None."""
        wanted = selector or "default"
        for version in self.versions:
            if version["versionId"] == wanted or wanted in version["versionAliases"]:
                return version
        raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: model {self.name}@{wanted} not found")

    def assign_aliases(self, target: dict[str, Any], aliases: list[str]) -> None:
        """Add aliases to `target` (an alias lives on one version only); `-alias` removes one."""
        for alias in aliases:
            removing = alias.startswith("-")
            bare = alias[1:] if removing else alias
            if not ALIAS_PATTERN.match(bare) or bare.isdigit():
                raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: invalid version alias {alias!r}")
            if removing:
                if bare == "default":
                    raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: the default alias cannot be removed")
                if bare in target["versionAliases"]:
                    target["versionAliases"].remove(bare)
                continue
            for version in self.versions:
                if version is not target and bare in version["versionAliases"]:
                    version["versionAliases"].remove(bare)
            if bare not in target["versionAliases"]:
                target["versionAliases"].append(bare)
        target["versionUpdateTime"] = now()


@dataclass
class FakeState:
    """Everything the fake server knows. Callers hold `FakeVertex.lock` while using it."""

    pipeline_final_state: str = "PIPELINE_STATE_SUCCEEDED"
    # Task name -> error message: those tasks end FAILED with it, as Vertex AI reports a failed step.
    task_errors: dict[str, str] = field(default_factory=dict)
    models: dict[str, FakeModel] = field(default_factory=dict)
    pipeline_jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, Any]] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1000))

    def next_id(self) -> str:
        return str(next(self._ids))

    def model(self, name: str) -> tuple[FakeModel, str | None]:
        """The model for `projects/P/locations/L/models/ID[@VERSION_OR_ALIAS]` and the selector."""
        resource, _, selector = name.partition("@")
        model_id = resource.rsplit("/", 1)[-1]
        if model_id not in self.models:
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: model {resource} not found")
        return self.models[model_id], selector or None

    def upload_model(self, parent: str, body: dict[str, Any], api_version: str) -> dict[str, Any]:
        """models:upload: a new model, or a new version of `body["parentModel"]`; returns the LRO."""
        model_body = copy.deepcopy(body.get("model") or {})
        if not model_body.get("displayName"):
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: model.display_name is required")
        if body.get("parentModel"):
            model, _ = self.model(body["parentModel"])
        else:
            model_id = body.get("modelId") or self.next_id()
            model = FakeModel(model_id, f"{parent}/models/{model_id}")
            self.models[model_id] = model
        stamp = now()
        aliases = list(model_body.pop("versionAliases", []))
        if not model.versions and "default" not in aliases:
            aliases.append("default")  # the first version of a model is always the default
        version = {
            **model_body,
            "name": model.name,
            "versionId": str(len(model.versions) + 1),
            "versionAliases": [],
            "labels": model_body.get("labels", {}),
            "createTime": model.versions[0]["createTime"] if model.versions else stamp,
            "updateTime": stamp,
            "versionCreateTime": stamp,
            "versionUpdateTime": stamp,
        }
        if model_body.get("containerSpec"):  # a custom container is deployed on dedicated machines (enum value 1)
            version.setdefault("supportedDeploymentResourcesTypes", [1])
        model.versions.append(version)
        try:
            model.assign_aliases(version, aliases)
        except ApiError:
            model.versions.pop()
            if not model.versions:
                del self.models[model.model_id]
            raise
        response_type = f"type.googleapis.com/google.cloud.aiplatform.{api_version}.UploadModelResponse"
        response = {"@type": response_type, "model": model.name, "modelVersionId": version["versionId"]}
        return self.operation(model.name, response)

    def operation(self, parent: str, response: dict[str, Any]) -> dict[str, Any]:
        """A finished long-running operation under `parent`, stored so GET can return it."""
        name = f"{parent}/operations/{self.next_id()}"
        self.operations[name] = {"name": name, "done": True, "response": response}
        return self.operations[name]

    def delete_version(self, name: str) -> dict[str, Any]:
        """models/ID@VERSION:deleteVersion; the default version cannot be deleted (as in Vertex AI)."""
        model, selector = self.model(name)
        version = model.version(selector)
        if "default" in version["versionAliases"]:
            raise ApiError(400, "FAILED_PRECONDITION", f"fake Vertex AI: {name} is the default version")
        model.versions.remove(version)
        model.evaluations.pop(version["versionId"], None)
        return self.operation(model.name, {"@type": "type.googleapis.com/google.protobuf.Empty"})

    def delete_model(self, name: str) -> dict[str, Any]:
        """models/ID DELETE: the model and all its versions."""
        model, _ = self.model(name)
        del self.models[model.model_id]
        return self.operation(model.name, {"@type": "type.googleapis.com/google.protobuf.Empty"})

    def list_models(self, parent: str, expression: str) -> list[dict[str, Any]]:
        """The default version of every model under `parent` that passes the filter."""
        defaults = [m.version(None) for m in self.models.values() if m.name.startswith(f"{parent}/models/")]
        return [v for v in defaults if matches_filter(v, expression)]

    def import_evaluation(self, parent: str, body: dict[str, Any]) -> dict[str, Any]:
        """models/ID@VERSION/evaluations:import: attach an evaluation to one model version."""
        model, selector = self.model(parent)
        version = model.version(selector)
        evaluation = copy.deepcopy(body.get("modelEvaluation") or {})
        evaluation["name"] = f"{model.name}/evaluations/{self.next_id()}"
        evaluation["createTime"] = now()
        model.evaluations.setdefault(version["versionId"], []).append(evaluation)
        return evaluation

    def create_pipeline_job(self, parent: str, job_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """pipelineJobs create: stored as PENDING; the next GET finds it in its final state."""
        job_id = job_id or f"job-{self.next_id()}"
        name = f"{parent}/pipelineJobs/{job_id}"
        if name in self.pipeline_jobs:
            raise ApiError(409, "ALREADY_EXISTS", f"fake Vertex AI: pipeline job {name} already exists")
        stamp = now()
        job = {**copy.deepcopy(body), "name": name, "state": "PIPELINE_STATE_PENDING", "createTime": stamp}
        job["updateTime"] = stamp
        self.pipeline_jobs[name] = job
        return copy.deepcopy(job)

    def get_pipeline_job(self, name: str) -> dict[str, Any]:
        """A pipeline job; a PENDING one moves to the configured final state when first read."""
        if name not in self.pipeline_jobs:
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: pipeline job {name} not found")
        job = self.pipeline_jobs[name]
        if job["state"] not in FINAL_PIPELINE_STATES:
            job.update(state=self.pipeline_final_state, startTime=job["createTime"], endTime=now())
            job["jobDetail"] = {"taskDetails": _task_details(job, self.task_errors)}
            if self.pipeline_final_state == "PIPELINE_STATE_FAILED":
                job["error"] = {"code": 13, "message": "fake Vertex AI: the job was configured to fail"}
        return copy.deepcopy(job)


def _task_details(job: dict[str, Any], task_errors: dict[str, str]) -> list[dict[str, Any]]:
    """What Vertex AI reports per task of a finished job: every task of the spec (nested DAGs too)
    in the job's state, with its output artifacts at `<gcsOutputDirectory>/<job id>/<task>/<name>`;
    a task in `task_errors` is FAILED with that error (code 9, FAILED_PRECONDITION, as Vertex AI)."""
    spec = job.get("pipelineSpec") or {}
    components = spec.get("components", {})
    root = job.get("runtimeConfig", {}).get("gcsOutputDirectory", "gs://fake-pipeline-root")
    state = job["state"].removeprefix("PIPELINE_STATE_")
    details: list[dict[str, Any]] = []

    def visit(dag: dict[str, Any]) -> None:
        for key, task in dag.get("tasks", {}).items():
            component = components.get(task.get("componentRef", {}).get("name", ""), {})
            artifacts = component.get("outputDefinitions", {}).get("artifacts", {})
            task_id = str(len(details) + 1)
            outputs = {
                name: {"artifacts": [{"name": name, "uri": f"{root}/{job['name'].rsplit('/', 1)[-1]}/{key}/{name}"}]}
                for name in artifacts
            }
            times = {"createTime": job["createTime"], "startTime": job["startTime"], "endTime": job["endTime"]}
            name = task.get("taskInfo", {}).get("name", key)
            detail = {"taskId": task_id, "taskName": name, "state": state, **times, "outputs": outputs}
            if name in task_errors:
                detail.update(state="FAILED", error={"code": 9, "message": task_errors[name]})
            details.append(detail)
            visit(component.get("dag", {}))

    visit(spec.get("root", {}).get("dag", {}))
    return details
