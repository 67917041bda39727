"""The record of one pipeline run: status, parameters, and each task's status, duration and outputs.

Every runner fills one (kfp.local as the steps run, Vertex AI from the PipelineJob API), the
metadata store keeps it, and lineage is computed from it when asked (mlops.lineage), so a record
written today is read with tomorrow's code. Stored as JSON; `RunRecord.from_dict` checks the types.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter

from mlops import storage


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class TaskRecord:
    name: str  # the task's display name, as the pipeline declares its steps
    status: str  # SUCCEEDED, FAILED, CACHED, SKIPPED, CANCELLED (stopped while it ran)
    started_at: str = ""
    duration_seconds: float = 0.0
    attempts: int = 0
    # Output name -> an artifact {"uri", "type", "metadata"} (Vertex AI reports only "uri") or a parameter value.
    outputs: dict[str, Any] = field(default_factory=dict)

    def artifact_uri(self, output: str) -> str | None:
        value = self.outputs.get(output)
        return value.get("uri") if isinstance(value, dict) else None


@dataclass
class RunRecord:
    run_id: str
    pipeline: str
    runner: str
    environment: str
    status: str = "RUNNING"  # then SUCCEEDED, FAILED or CANCELLED (local: Ctrl-C/SIGTERM); Vertex AI's states
    started_at: str = field(default_factory=now)
    duration_seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    tasks: list[TaskRecord] = field(default_factory=list)
    error: str = ""
    links: dict[str, str] = field(default_factory=dict)  # e.g. the Vertex console URL

    def task(self, name: str) -> TaskRecord | None:
        return next((task for task in self.tasks if task.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """A record from its JSON form; raises pydantic's ValidationError on a malformed one."""
        return _ADAPTER.validate_python(data)


_ADAPTER: TypeAdapter[RunRecord] = TypeAdapter(RunRecord)


def new_run_id(pipeline: str) -> str:
    """A unique, sortable, Vertex-compatible job id: name-YYYYmmdd-HHMMSS-ffffff."""
    return f"{pipeline}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"


def run_label(run_id: str) -> str:
    """The run id as a GCP label value (lowercase, at most 63 characters).

    Registered model versions carry it as `mlops_run_id`, which is how lineage finds their run.
    """
    return run_id.lower()[:63]


def save_record(record: RunRecord, runs_dir: str) -> str:
    uri = storage.join(runs_dir, f"{record.run_id}.json")
    storage.write_text(uri, record.to_json())
    return uri
