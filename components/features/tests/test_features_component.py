"""The KFP wrapper: called directly, and run as a real pipeline step by kfp.local."""

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from kfp import dsl, local
from kfp.dsl import Dataset, Output

from features.component import build_component, features
from mlops.feature_store.local import LocalFeatureStore

pytest_plugins = ["features_fixtures"]  # fixtures: see features_fixtures.py


def test_wrapper_fills_artifacts_and_returns_the_feature_names(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path
) -> None:
    inputs = {s: Dataset(name=s, uri=path, metadata={}) for s, path in splits.items()}
    outputs = {s: Dataset(name=s, uri=str(tmp_path / f"{s}_features"), metadata={}) for s in splits}
    names = features(
        inputs["train"],
        inputs["valid"],
        inputs["test"],
        outputs["train"],
        outputs["valid"],
        outputs["test"],
        feature_spec=churn_spec,
        label_column="churned",
        store_uri=str(tmp_path / "store"),
        view_name="churn",
    )
    assert names == [t["name"] for t in churn_spec["transforms"]]
    for split, artifact in outputs.items():
        table = pq.read_table(artifact.path)
        assert table.num_rows == artifact.metadata["rows"] == pq.read_metadata(splits[split]).num_rows
        assert table.column_names[-1] == "churned" and artifact.metadata["features"] == names
    assert LocalFeatureStore(tmp_path / "store").online_read("churn", [0, 1])  # materialized for serving


def make_splits(rows: int, train: Output[Dataset], valid: Output[Dataset], test: Output[Dataset]) -> None:
    """Upstream step standing in for ingest: sample churn rows split by entity id."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from mlops.sample_data import SampleSpec, generate

    table = generate(SampleSpec(rows=rows, seed=3))
    bucket = pc.remainder(table.column("entity_id"), 10)
    pq.write_table(table.filter(pc.less(bucket, 8)), train.path)
    pq.write_table(table.filter(pc.equal(bucket, 8)), valid.path)
    pq.write_table(table.filter(pc.equal(bucket, 9)), test.path)


def test_component_runs_as_a_pipeline_step_with_kfp_local(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path
) -> None:
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    features_op = build_component("example.invalid/features:test")
    splits_op = dsl.component(make_splits, base_image="example.invalid/python:3.11", install_kfp_package=False)

    @dsl.pipeline(name="features-only")
    def pipeline(store_uri: str, spec: dict) -> Dataset:
        data = splits_op(rows=600).outputs
        task = features_op(
            train_data=data["train"],
            valid_data=data["valid"],
            test_data=data["test"],
            feature_spec=spec,
            label_column="churned",
            store_uri=store_uri,
            view_name="churn",
        )
        return task.outputs["train_features"]

    task = pipeline(store_uri=str(tmp_path / "store"), spec=churn_spec)
    train = pq.read_table(task.output.path)
    assert train.num_rows == pq.read_metadata(splits["train"]).num_rows
    assert "log_tenure" in train.column_names and "tenure_months" not in train.column_names
    outputs = [json.loads(p.read_text()) for p in (tmp_path / "root").rglob("executor_output.json")]
    (returned,) = (o["parameterValues"]["Output"] for o in outputs if "Output" in o.get("parameterValues", {}))
    assert returned == [t["name"] for t in churn_spec["transforms"]]
