"""The record of one pipeline run: status, per-task status and durations, outputs. Stored as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops import storage


@dataclass
class TaskRecord:
    name: str
    status: str  # SUCCEEDED, FAILED, CACHED, SKIPPED
    started_at: str = ""
    duration_seconds: float = 0.0
    attempts: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunRecord:
    run_id: str
    pipeline: str
    runner: str
    environment: str
    status: str = "RUNNING"
    started_at: str = field(default_factory=lambda: now())
    duration_seconds: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)
    tasks: list[TaskRecord] = field(default_factory=list)
    error: str = ""
    links: dict[str, str] = field(default_factory=dict)  # e.g. the Vertex console URL

    def task(self, name: str) -> TaskRecord | None:
        return next((task for task in self.tasks if task.name == name), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, default=str)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        data = json.loads(text)
        data["tasks"] = [TaskRecord(**task) for task in data.get("tasks", [])]
        return cls(**data)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id(pipeline: str) -> str:
    """A unique, sortable, Vertex-compatible job id: name-YYYYmmdd-HHMMSS-ffffff."""
    return f"{pipeline}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S-%f')}"


def save_record(record: RunRecord, runs_dir: str) -> str:
    uri = storage.join(runs_dir, f"{record.run_id}.json")
    storage.write_text(uri, record.to_json())
    return uri


def load_record(runs_dir: str, run_id: str) -> RunRecord:
    return RunRecord.from_json(storage.read_text(storage.join(runs_dir, f"{run_id}.json")))
