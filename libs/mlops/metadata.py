"""Run metadata and lineage in MLflow tracking, on a local SQLite database.

Why MLflow: ML Metadata (MLMD) needs protobuf<5 and cannot share a resolve with kfp (protobuf>=6.31),
so it would need its own resolve and a separate process; MLflow tracking is a maintained store
with a query API, works on SQLite with no server, and its UI can browse the same database.

Layout: one experiment per pipeline; one parent run per pipeline run (params, tags, the evaluation
metrics, the run record and its lineage as JSON artifacts); one child run per task (status, duration,
output artifact URIs as tags). `mlops.model_version` on the parent run links a registered model
version back to the run, and so to its data, features, model and evaluation.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops import storage

_RUN_ID_TAG = "mlops.run_id"
_VERSION_TAG = "mlops.model_version"
_MLFLOW_STATUS = {"SUCCEEDED": "FINISHED", "FAILED": "FAILED", "CANCELLED": "KILLED"}


class MetadataError(Exception):
    """A run or model version is not in the metadata store."""


def lineage_from_record(record: dict[str, Any]) -> dict[str, Any]:
    """data -> splits -> features -> model -> evaluation -> decision -> registry version, with URIs."""
    outputs = {task["name"]: task.get("outputs", {}) for task in record.get("tasks", [])}

    def uri(task: str, output: str) -> str | None:
        value = outputs.get(task, {}).get(output)
        return value.get("uri") if isinstance(value, dict) else None

    evaluation = outputs.get("evaluate", {}).get("metrics", {})
    registered = outputs.get("register", {})
    version = registered.get("Output") if registered else None
    model_name = record.get("parameters", {}).get("model_name")
    return {
        "run_id": record["run_id"],
        "source": record.get("parameters", {}).get("source_uri"),
        "splits": {split: uri("ingest", f"{split}_data") for split in ("train", "valid", "test")},
        "schema": uri("validate", "schema"),
        "features": {split: uri("features", f"{split}_features") for split in ("train", "valid", "test")},
        "model": uri("train", "model"),
        "evaluation": {"uri": uri("evaluate", "evaluation"), "metrics": evaluation.get("metadata", {})},
        "decision": uri("champion", "decision"),
        "registry": {"model_name": model_name, "version": version} if version else None,
    }


class MetadataStore:
    """MLflow tracking on SQLite at `<root>/mlflow.db`, artifacts under `<root>/artifacts`."""

    def __init__(self, root: str | Path) -> None:
        import mlflow  # imported here: ~1.5 s, only for commands that need the store

        for noisy in ("mlflow", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{self.root / 'mlflow.db'}")

    def _experiment(self, pipeline: str) -> str:
        experiment = self.client.get_experiment_by_name(pipeline)
        if experiment is not None:
            return experiment.experiment_id
        return self.client.create_experiment(pipeline, artifact_location=(self.root / "artifacts" / pipeline).as_uri())

    def record_run(self, record: dict[str, Any]) -> str:
        """Store a finished run record and its lineage; returns the MLflow run id."""
        lineage = lineage_from_record(record)
        experiment = self._experiment(record["pipeline"])
        start_ms = _millis(record["started_at"])
        tags = {
            _RUN_ID_TAG: record["run_id"],
            "mlops.runner": record["runner"],
            "mlops.environment": record["environment"],
        }
        if lineage["registry"]:
            tags[_VERSION_TAG] = f"{lineage['registry']['model_name']}:{lineage['registry']['version']}"
        parent = self.client.create_run(experiment, start_time=start_ms, tags=tags, run_name=record["run_id"])
        run_id = parent.info.run_id
        for key, value in record.get("parameters", {}).items():
            self.client.log_param(run_id, key, json.dumps(value) if not isinstance(value, str) else value[:6000])
        for name, value in lineage["evaluation"]["metrics"].items():
            if isinstance(value, int | float):
                self.client.log_metric(run_id, name, float(value))
        for task in record.get("tasks", []):
            child = self.client.create_run(
                experiment,
                start_time=_millis(task["started_at"]) if task.get("started_at") else start_ms,
                tags={"mlflow.parentRunId": run_id, "mlops.status": task["status"]}
                | {
                    f"output.{name}": value["uri"]
                    for name, value in task.get("outputs", {}).items()
                    if isinstance(value, dict) and "uri" in value
                },
                run_name=task["name"],
            )
            self.client.log_metric(child.info.run_id, "duration_seconds", float(task.get("duration_seconds", 0)))
            self.client.set_terminated(child.info.run_id, "FAILED" if task["status"] == "FAILED" else "FINISHED")
        self.client.log_dict(run_id, record, "run_record.json")
        self.client.log_dict(run_id, lineage, "lineage.json")
        end_ms = start_ms + int(float(record.get("duration_seconds", 0)) * 1000)
        self.client.set_terminated(run_id, _MLFLOW_STATUS.get(record["status"], "FAILED"), end_time=end_ms)
        return run_id

    def list_runs(self, limit: int = 20) -> list[dict[str, Any]]:
        """Most recent pipeline runs first (parent runs only)."""
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        if not experiments:
            return []
        runs = self.client.search_runs(
            experiments,
            filter_string=f"tags.`{_RUN_ID_TAG}` != ''",
            max_results=limit,
            order_by=["attributes.start_time DESC"],
        )
        return [self._load(run, "run_record.json") for run in runs]

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self._load(
            self._find(f"tags.`{_RUN_ID_TAG}` = '{_quote(run_id)}'", f"run {run_id!r}"), "run_record.json"
        )

    def lineage(self, model_version: str) -> dict[str, Any]:
        """Lineage of `NAME:VERSION` (as registered by a pipeline run)."""
        found = self._find(f"tags.`{_VERSION_TAG}` = '{_quote(model_version)}'", f"model version {model_version!r}")
        return self._load(found, "lineage.json")

    def _find(self, filter_string: str, what: str) -> Any:
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        runs = self.client.search_runs(experiments, filter_string=filter_string, max_results=1) if experiments else []
        if not runs:
            raise MetadataError(f"{what} not found in the metadata store at {self.root}")
        return runs[0]

    def _load(self, run: Any, artifact: str) -> dict[str, Any]:
        path = Path(self.client.download_artifacts(run.info.run_id, artifact, str(self.root / ".downloads")))
        return json.loads(storage.read_text(str(path)))


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _quote(value: str) -> str:
    return value.replace("'", "")
