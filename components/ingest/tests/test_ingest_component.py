"""The KFP wrapper: called directly, and run as a real pipeline step by kfp.local."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from kfp import dsl, local
from kfp.dsl import Dataset

from ingest.component import build_component, ingest


def make_source(folder: Path, rows: int = 100) -> str:
    path = folder / "source.parquet"
    pq.write_table(pa.table({"id": list(range(rows)), "y": [i % 3 for i in range(rows)]}), path)
    return str(path)


def test_wrapper_fills_artifacts_and_metadata(tmp_path: Path) -> None:
    artifacts = {s: Dataset(name=s, uri=str(tmp_path / s), metadata={}) for s in ("train", "valid", "test")}
    rows = ingest(make_source(tmp_path), artifacts["train"], artifacts["valid"], artifacts["test"], seed=5)
    assert rows == 100
    assert sum(a.metadata["rows"] for a in artifacts.values()) == 100
    assert pq.read_table(artifacts["train"].path).num_rows == artifacts["train"].metadata["rows"]


def test_component_runs_as_a_pipeline_step_with_kfp_local(tmp_path: Path) -> None:
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    ingest_op = build_component("example.invalid/ingest:test")

    @dsl.pipeline(name="ingest-only")
    def pipeline(source_uri: str) -> Dataset:
        return ingest_op(source_uri=source_uri, split_method="random", seed=1).outputs["train_data"]

    task = pipeline(source_uri=make_source(tmp_path, 400))
    train_path = Path(task.output.path)
    assert 250 < pq.read_table(train_path).num_rows < 380
    executor_outputs = list((tmp_path / "root").rglob("executor_output.json"))
    assert executor_outputs and json.loads(executor_outputs[0].read_text())["parameterValues"]["Output"] == 400
