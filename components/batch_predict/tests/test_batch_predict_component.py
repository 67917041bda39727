"""The KFP wrapper: called directly, and run as a real pipeline step by kfp.local (twice: the
second run must be a cache hit, which needs the Metrics file written)."""

from pathlib import Path

from kfp import dsl, local
from kfp.dsl import Artifact, Dataset, Metrics, Model

from batch_predict import component
from mlops.model_bundle import save_bundle
from mlops.testing.bundles import fit_bundle, write_splits


def bundle_and_data(folder: Path) -> tuple[str, str]:
    splits = write_splits(folder, "churn", {"train": (300, 1), "test": (100, 2)})
    save_bundle(fit_bundle("churn", splits["train"]), str(folder / "model"))
    return str(folder / "model"), splits["test"]


def test_wrapper_fills_the_outputs(tmp_path: Path) -> None:
    model_uri, data_uri = bundle_and_data(tmp_path)
    metrics = Metrics(name="metrics", uri=str(tmp_path / "metrics"), metadata={})
    result = Artifact(name="result", uri=str(tmp_path / "result"), metadata={})
    auc = component.batch_predict(Model(uri=model_uri), Dataset(uri=data_uri), metrics, result)
    assert auc == metrics.metadata["auc"] and result.metadata["rows"] == 100
    assert Path(metrics.path).exists()


def test_component_runs_as_a_pipeline_step_and_is_cached_the_second_time(tmp_path: Path) -> None:
    model_uri, data_uri = bundle_and_data(tmp_path)
    local.init(
        runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"), enable_caching=True
    )
    step = component.build_component("example.invalid/batch_predict:test")

    @dsl.pipeline(name="batch_predict-only")
    def pipeline(model_uri: str, data_uri: str) -> float:
        model = dsl.importer(artifact_uri=model_uri, artifact_class=Model)
        data = dsl.importer(artifact_uri=data_uri, artifact_class=Dataset)
        return step(model=model.output, data=data.output).outputs["Output"]

    first = pipeline(model_uri=model_uri, data_uri=data_uri)
    executor_outputs = sorted((tmp_path / "root").rglob("executor_output.json"))
    second = pipeline(model_uri=model_uri, data_uri=data_uri)
    assert 0.5 < first.output == second.output
    assert sorted((tmp_path / "root").rglob("executor_output.json")) == executor_outputs  # served from the cache
