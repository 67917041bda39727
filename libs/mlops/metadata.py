"""Run records in MLflow tracking, on a local SQLite database.

Why MLflow: ML Metadata (MLMD) needs protobuf<5 and cannot share a resolve with kfp (protobuf>=6.31),
so it would need its own resolve and a separate process; MLflow tracking is a maintained store
with a query API, works on SQLite with no server, and its UI can browse the same database.

Layout: one experiment per pipeline; one parent run per pipeline run (params, tags, the scores of
its Metrics artifacts, and the run record as a JSON artifact); one child run per task (status,
duration, output artifact URIs as tags). Lineage is not stored: `mlops.lineage` computes it from the
run record when asked, so old runs are shown as the current code shows them.
"""

from __future__ import annotations

import fcntl
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.lineage import lineage_of
from mlops.runs import RunRecord, run_label

_RUN_ID_TAG = "mlops.run_id"
# The run id as registered versions carry it (mlops.runs.run_label), to find a version's run.
_RUN_LABEL_TAG = "mlops.run_label"
_MLFLOW_STATUS = {"SUCCEEDED": "FINISHED", "FAILED": "FAILED", "CANCELLED": "KILLED"}


class MetadataError(Exception):
    """A run is not in the metadata store, or a model version has no run to trace it to."""


class MetadataStore:
    """MLflow tracking on SQLite at `<root>/mlflow.db`, artifacts under `<root>/artifacts`."""

    def __init__(self, root: str | Path) -> None:
        import mlflow  # imported here: ~1.5 s, only for commands that need the store

        for noisy in ("mlflow", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        # Opening the store creates or upgrades the database schema, which two processes must not do
        # at once (the background recorder of mlops.run_journal and a reader): one at a time.
        with (self.root / ".schema.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{self.root / 'mlflow.db'}")
            self.client.search_experiments(max_results=1)

    def _experiment(self, pipeline: str) -> str:
        experiment = self.client.get_experiment_by_name(pipeline)
        if experiment is not None:
            return experiment.experiment_id
        return self.client.create_experiment(pipeline, artifact_location=(self.root / "artifacts" / pipeline).as_uri())

    def record_run(self, record: RunRecord) -> str:
        """Store a finished run record; returns the MLflow run id."""
        experiment = self._experiment(record.pipeline)
        start_ms = _millis(record.started_at)
        tags = {
            _RUN_ID_TAG: record.run_id,
            _RUN_LABEL_TAG: run_label(record.run_id),
            "mlops.runner": record.runner,
            "mlops.environment": record.environment,
        }
        parent = self.client.create_run(experiment, start_time=start_ms, tags=tags, run_name=record.run_id)
        run_id = parent.info.run_id
        for key, value in record.parameters.items():
            self.client.log_param(run_id, key, json.dumps(value) if not isinstance(value, str) else value[:6000])
        for name, score in lineage_of(record).metrics().items():
            self.client.log_metric(run_id, name, score)
        for task in record.tasks:
            child = self.client.create_run(
                experiment,
                start_time=_millis(task.started_at) if task.started_at else start_ms,
                tags={"mlflow.parentRunId": run_id, "mlops.status": task.status}
                | {f"output.{name}": uri for name in task.outputs if (uri := task.artifact_uri(name))},
                run_name=task.name,
            )
            self.client.log_metric(child.info.run_id, "duration_seconds", float(task.duration_seconds))
            self.client.set_terminated(child.info.run_id, _MLFLOW_STATUS.get(task.status, "FINISHED"))
        self.client.log_dict(run_id, record.to_dict(), "run_record.json")
        end_ms = start_ms + int(record.duration_seconds * 1000)
        self.client.set_terminated(run_id, _MLFLOW_STATUS.get(record.status, "FAILED"), end_time=end_ms)
        return run_id

    def list_runs(self, limit: int = 20) -> list[RunRecord]:
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
        return [self._load(run) for run in runs]

    def has_run(self, run_id: str) -> bool:
        """Whether the run with this id is recorded."""
        return self._search(f"tags.`{_RUN_ID_TAG}` = '{_quote(run_id)}'") is not None

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id, or with this id as a label (the `mlops_run_id` of a version it registered)."""
        found = self._search(f"tags.`{_RUN_ID_TAG}` = '{_quote(run_id)}'") or self._search(
            f"tags.`{_RUN_LABEL_TAG}` = '{_quote(run_id)}'"
        )
        if found is None:
            raise MetadataError(f"run {run_id!r} not found in the metadata store at {self.root}")
        return self._load(found)

    def _search(self, filter_string: str) -> Any:
        experiments = [e.experiment_id for e in self.client.search_experiments()]
        runs = self.client.search_runs(experiments, filter_string=filter_string, max_results=1) if experiments else []
        return runs[0] if runs else None

    def _load(self, run: Any) -> RunRecord:
        path = Path(self.client.download_artifacts(run.info.run_id, "run_record.json", str(self.root / ".downloads")))
        return RunRecord.from_dict(json.loads(storage.read_text(str(path))))


def _millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def _quote(value: str) -> str:
    return value.replace("'", "")
