from __future__ import annotations

from pathlib import Path

import pytest

from mlops.metadata import MetadataError, MetadataStore, lineage_from_record


def artifact(uri: str, **metadata: object) -> dict:
    return {"uri": uri, "type": "system.Artifact", "metadata": metadata}


def run_record(run_id: str, version: str | None, started_at: str = "2026-11-25T10:00:00+00:00") -> dict:
    tasks = [
        {
            "name": "ingest",
            "status": "SUCCEEDED",
            "started_at": started_at,
            "duration_seconds": 1.5,
            "attempts": 1,
            "outputs": {f"{s}_data": artifact(f"/root/{run_id}/ingest/{s}") for s in ("train", "valid", "test")},
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
                "metrics": artifact(f"/root/{run_id}/evaluate/metrics", auc=0.87, f1=0.61),
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
    return {
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
    }


def test_lineage_links_data_to_the_registered_version() -> None:
    lineage = lineage_from_record(run_record("r1", "3"))
    assert lineage["source"] == "sample://churn"
    assert lineage["splits"]["test"] == "/root/r1/ingest/test"
    assert lineage["model"] == "/root/r1/train/model"
    assert lineage["evaluation"]["metrics"] == {"auc": 0.87, "f1": 0.61}
    assert lineage["registry"] == {"model_name": "churn-classifier", "version": "3"}


def test_runs_are_stored_listed_and_found_by_model_version(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path / "metadata")
    store.record_run(run_record("r1", "1", "2026-11-25T10:00:00+00:00"))
    store.record_run(run_record("r2", None, "2026-11-25T11:00:00+00:00"))

    reopened = MetadataStore(tmp_path / "metadata")  # a later CLI invocation
    assert [run["run_id"] for run in reopened.list_runs()] == ["r2", "r1"]
    assert reopened.get_run("r1")["tasks"][1]["name"] == "train"
    assert reopened.lineage("churn-classifier:1")["run_id"] == "r1"
    experiment = reopened.client.get_experiment_by_name("churn-training")
    assert experiment is not None
    child_runs = reopened.client.search_runs(
        [experiment.experiment_id],
        filter_string="tags.`mlops.status` = 'SUCCEEDED'",
    )
    assert len(child_runs) == 7  # 4 tasks of r1 + 3 of r2


def test_unknown_run_and_version_are_named(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path)
    with pytest.raises(MetadataError, match="run 'nope' not found"):
        store.get_run("nope")
    store.record_run(run_record("r1", None))
    with pytest.raises(MetadataError, match="model version 'churn-classifier:9' not found"):
        store.lineage("churn-classifier:9")
