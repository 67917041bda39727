from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from mlops.lineage import RegisteredVersion, lineage_of
from mlops.metadata import MetadataError, MetadataStore
from mlops.run_journal import add_pending, pending, record_pending
from mlops.runs import RunRecord, TaskRecord


def artifact(uri: str, kind: str = "system.Artifact", **metadata: object) -> dict:
    return {"uri": uri, "type": kind, "metadata": metadata}


def run_record(run_id: str, version: str | None, started_at: str = "2026-11-25T10:00:00+00:00") -> RunRecord:
    tasks = [
        {
            "name": "ingest",
            "status": "SUCCEEDED",
            "started_at": started_at,
            "duration_seconds": 1.5,
            "attempts": 1,
            "outputs": {
                f"{s}_data": artifact(f"/root/{run_id}/ingest/{s}", rows=10) for s in ("train", "valid", "test")
            },
        },
        {
            "name": "train",
            "status": "SUCCEEDED",
            "started_at": started_at,
            "duration_seconds": 4.0,
            "attempts": 1,
            "outputs": {"model": artifact(f"/root/{run_id}/train/model")},
        },
        {
            "name": "evaluate",
            "status": "SUCCEEDED",
            "started_at": started_at,
            "duration_seconds": 2.0,
            "attempts": 1,
            "outputs": {
                "metrics": artifact(f"/root/{run_id}/evaluate/metrics", "system.Metrics", auc=0.87, f1=0.61),
                "evaluation": artifact(f"/root/{run_id}/evaluate/evaluation"),
            },
        },
    ]
    if version:
        tasks.append(
            {
                "name": "register",
                "status": "SUCCEEDED",
                "started_at": started_at,
                "duration_seconds": 0.5,
                "attempts": 1,
                "outputs": {"Output": version},
            }
        )
    return RunRecord.from_dict({
        "run_id": run_id,
        "pipeline": "churn-training",
        "runner": "local",
        "environment": "local",
        "status": "SUCCEEDED",
        "started_at": started_at,
        "duration_seconds": 8.0,
        "parameters": {"source_uri": "sample://churn", "model_name": "churn-classifier", "hyperparameters": {"a": 1}},
        "tasks": tasks,
        "error": "",
        "links": {},
    })  # fmt: skip


def test_lineage_is_the_inputs_then_every_output_artifact_in_run_order() -> None:
    lineage = lineage_of(run_record("r1", "3"), RegisteredVersion("churn-classifier", "3"))
    assert lineage.inputs == {"source_uri": "sample://churn"}  # `_uri` parameters; model_name is not one
    assert [(link.step, link.output) for link in lineage.links] == [
        ("ingest", "train_data"), ("ingest", "valid_data"), ("ingest", "test_data"),
        ("train", "model"), ("evaluate", "metrics"), ("evaluate", "evaluation"),
    ]  # fmt: skip
    assert lineage.uri("ingest", "test_data") == "/root/r1/ingest/test"
    assert lineage.links[0].metrics == {"rows": 10.0}
    assert lineage.metrics() == {"auc": 0.87, "f1": 0.61}  # of Metrics artifacts only
    assert lineage.registered == RegisteredVersion("churn-classifier", "3")


def test_a_step_no_code_knows_shows_up_in_lineage() -> None:
    record = run_record("r1", None)
    explain = TaskRecord("explain", "SUCCEEDED", outputs={"shap_values": {"uri": "gs://b/r1/explain/shap"}})
    record.tasks.insert(2, explain)  # between train and evaluate
    links = [(link.step, link.output, link.uri) for link in lineage_of(record).links]
    assert links[3:5] == [("train", "model", "/root/r1/train/model"), ("explain", "shap_values", "gs://b/r1/explain/shap")]


def test_a_malformed_record_is_refused() -> None:
    data = run_record("r1", None).to_dict()
    data["tasks"][0]["duration_seconds"] = "slow"
    with pytest.raises(ValidationError, match="duration_seconds"):
        RunRecord.from_dict(data)


def test_runs_are_stored_listed_and_found_by_id_or_label(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path / "metadata")
    store.record_run(run_record("R1-Manual", "1", "2026-11-25T10:00:00+00:00"))
    store.record_run(run_record("r2", None, "2026-11-25T11:00:00+00:00"))

    reopened = MetadataStore(tmp_path / "metadata")  # a later CLI invocation
    assert [run.run_id for run in reopened.list_runs()] == ["r2", "R1-Manual"]
    assert reopened.get_run("R1-Manual").tasks[1].name == "train"
    # A registered version carries the run id as a GCP label: lowercase.
    assert reopened.get_run("r1-manual") == run_record("R1-Manual", "1", "2026-11-25T10:00:00+00:00")
    experiment = reopened.client.get_experiment_by_name("churn-training")
    assert experiment is not None
    child_runs = reopened.client.search_runs(
        [experiment.experiment_id],
        filter_string="tags.`mlops.status` = 'SUCCEEDED'",
    )
    assert len(child_runs) == 7  # 4 tasks of r1 + 3 of r2
    parent = reopened.client.search_runs([experiment.experiment_id], filter_string="tags.`mlops.run_id` = 'r2'")[0]
    assert parent.data.metrics == {"auc": 0.87, "f1": 0.61}  # the scores of the Metrics artifacts


def test_an_unknown_run_is_named(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path)
    with pytest.raises(MetadataError, match="run 'nope' not found"):
        store.get_run("nope")
    store.record_run(run_record("r1", None))
    with pytest.raises(MetadataError, match="run 'r9' not found"):
        store.get_run("r9")


def test_waiting_records_reach_the_store_once(tmp_path: Path) -> None:
    metadata = tmp_path / "metadata"
    add_pending(metadata, run_record("r1", "1", "2026-11-25T10:00:00+00:00"))
    add_pending(metadata, run_record("r2", None, "2026-11-25T11:00:00+00:00"))
    assert [path.stem for path in pending(metadata)] == ["r1", "r2"]
    store = MetadataStore(metadata)
    assert record_pending(metadata, store) == 2 and pending(metadata) == []
    assert record_pending(metadata, store) == 0  # nothing waits: MLflow is not even opened

    # A recorder stopped after writing r2 but before removing its file: r2 is not written twice.
    add_pending(metadata, run_record("r2", None, "2026-11-25T11:00:00+00:00"))
    assert record_pending(metadata) == 0 and pending(metadata) == []
    assert [run.run_id for run in MetadataStore(metadata).list_runs()] == ["r2", "r1"]
