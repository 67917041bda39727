"""The KFP wrapper: called directly, and run as a real pipeline step by kfp.local."""

import json
from pathlib import Path

import pandas as pd
from kfp import dsl, local
from kfp.dsl import Artifact

from batch_predict import component
from batch_predict_fixtures import MODEL, Registered  # pants: no-infer-dep (the BUILD names it)

pytest_plugins = ["batch_predict_fixtures"]


def test_wrapper_predicts_and_records_the_run(registered: Registered, tmp_path: Path) -> None:
    result = Artifact(name="result", uri=str(tmp_path / "result"), metadata={})
    out = tmp_path / "predictions.parquet"
    version = component.batch_predict(
        registered.rows_uri, registered.registry_uri, MODEL, "", str(out), ["entity_id"], 250.0, {}, result  # type: ignore[arg-type]
    )
    assert version == "2" and result.metadata["rows"] == 600 and result.metadata["destination"] == str(out)
    assert json.loads(Path(result.path).read_text())["model_version"] == "2"
    assert len(pd.read_parquet(out)) == 600


def test_component_runs_as_a_pipeline_step(registered: Registered, tmp_path: Path) -> None:
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    step = component.build_component("example.invalid/batch_predict:test")

    @dsl.pipeline(name="batch-predict-only")
    def pipeline(source_uri: str, registry_uri: str, destination: str) -> str:
        task = step(
            source_uri=source_uri,
            registry_uri=registry_uri,
            model_name=MODEL,
            version="1",
            destination=destination,
            key_columns=["entity_id"],
            chunk_rows=100,
            csv_options={},
        )
        return task.outputs["Output"]

    destination = str(tmp_path / "p.parquet")
    run = pipeline(source_uri=registered.rows_uri, registry_uri=registered.registry_uri, destination=destination)
    assert run.output == "1"
    assert pd.read_parquet(tmp_path / "p.parquet")["model_version"].unique().tolist() == ["1"]
