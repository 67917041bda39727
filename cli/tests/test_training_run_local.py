"""Integration: the whole training pipeline on small data with kfp.local, as `mlops run` runs it.

Asserts the registered version, its metrics, the champion/challenger decision and the lineage; a
second run of the same model loses to the champion and registers nothing; bad input is refused
before anything runs.
"""

import json
import re
import time
from pathlib import Path

import pytest

from mlops.lineage import RegisteredVersion
from mlops.metadata import MetadataStore
from mlops.pipeline_definition import PreflightError
from mlops.registry import open_registry
from mlops.run_journal import pending
from mlops_cli.commands import lineage, run_pipeline, show_run
from mlops_cli.main import main
from run_fixtures import PIPELINES, local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION


@pytest.fixture(scope="module")
def churn_runs(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("churn")
    settings = local_settings(root)
    config = small("churn.yaml")
    first = run_pipeline(DEFINITION, config, settings, runner="local")
    second = run_pipeline(DEFINITION, config, settings, runner="local")
    return settings, first, second


def test_first_run_registers_a_default_version_with_its_metrics(churn_runs) -> None:
    settings, first, _ = churn_runs
    assert first.status == "SUCCEEDED", first.error
    assert [t.name for t in first.tasks] == [step.name for step in DEFINITION.steps]  # each step, in order
    registry = open_registry(settings.resolved_registry_uri())
    version = registry.get("churn-classifier")
    assert version is not None and version.version == "1" and "default" in version.aliases
    assert version.metrics["auc"] > 0.7
    assert version.labels["mlops_run_id"] == first.run_id.lower()
    decision = json.loads(Path(first.task("champion").outputs["decision"]["uri"]).read_text())
    assert decision["register"] is True and decision["champion"] is None
    # The serving check ran before registration; its result is in the version's record and card.
    assert version.evaluation is not None and version.evaluation["serving_check"]["passed"] is True
    assert version.evaluation["serving_check"]["rows"] == first.task("ingest").outputs["test_data"]["metadata"]["rows"]
    card = (Path(version.bundle_uri) / "model_card.md").read_text()
    assert "## Serving check" in card and "label mismatch" in card


def test_the_same_model_again_does_not_beat_the_champion(churn_runs) -> None:
    settings, first, second = churn_runs
    assert second.status == "SUCCEEDED", second.error
    statuses = {t.name: t.status for t in second.tasks}
    # Every step that may be cached was (the serving check once was not: its Metrics file was missing).
    cacheable = [step.name for step in DEFINITION.steps if step.cacheable]
    assert {name: statuses[name] for name in cacheable} == dict.fromkeys(cacheable, "CACHED")
    assert statuses["notify"] == "SUCCEEDED"  # the exit handler runs on every run: never served from the cache
    assert second.task("register") is None or second.task("register").status != "SUCCEEDED"
    decision = json.loads(Path(second.task("champion").outputs["decision"]["uri"]).read_text())
    assert decision["register"] is False and decision["champion_version"] == "1"
    assert decision["champion"] == pytest.approx(decision["challenger"])
    versions = open_registry(settings.resolved_registry_uri()).list_versions("churn-classifier")
    assert [v.version for v in versions] == ["1"]


def test_lineage_and_runs_come_from_the_metadata_store(churn_runs, capsys: pytest.CaptureFixture[str]) -> None:
    settings, first, second = churn_runs
    # The runs reach the store without a reader: the background recorder moves them there.
    deadline = time.monotonic() + 120
    while pending(settings.metadata_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert pending(settings.metadata_dir) == []
    store = MetadataStore(settings.metadata_dir)
    assert [run.run_id for run in store.list_runs()] == [second.run_id, first.run_id]
    found = lineage(settings, "churn-classifier:1")
    assert found.run_id == first.run_id and found.inputs["source_uri"].startswith("sample://churn")
    assert found.registered == RegisteredVersion("churn-classifier", "1")
    model, train_split = found.uri("train", "model"), found.uri("ingest", "train_data")
    assert model and Path(model).is_dir() and train_split and Path(train_split).is_file()
    assert found.metrics()["auc"] > 0.7
    # Every step that wrote an artifact is in the lineage, in the order the run executed the steps.
    order = [step.name for step in DEFINITION.steps]
    steps = list(dict.fromkeys(link.step for link in found.links))
    assert steps == [name for name in order if name in steps] and {"ingest", "train", "champion"} <= set(steps)


def test_regression_config_runs_with_no_code_change(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    record = run_pipeline(DEFINITION, small("energy.yaml"), settings, runner="local")
    assert record.status == "SUCCEEDED", record.error
    version = open_registry(settings.resolved_registry_uri()).get("energy-regressor")
    assert version is not None and version.metrics["r2"] > 0.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"data__target": "cancelled"}, "data.target 'cancelled' is not a column"),
        (
            {"features__transforms__0": {"op": "log1p", "name": "tenure_months", "column": "contract_type"}},
            "column 'contract_type' is VARCHAR, but transform log1p needs a number",
        ),
        ({"data__source": "sample://churn?rows=0"}, "rows must be at least 1"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(tmp_path: Path, changes: dict, message: str) -> None:
    settings = local_settings(tmp_path)
    config = small("churn.yaml", **changes) if "data__source" not in changes else small("churn.yaml")
    if "data__source" in changes:
        config = config.model_copy(update={"data": config.data.model_copy(update={"source": changes["data__source"]})})
    with pytest.raises(PreflightError, match=message):
        run_pipeline(DEFINITION, config, settings, runner="local")
    assert not (tmp_path / "data" / "registry").exists()
    assert not (tmp_path / "pipeline-root").exists()


def test_empty_table_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("entity_id,event_timestamp,churned\n")
    config = small("churn.yaml")
    config = config.model_copy(update={"data": config.data.model_copy(update={"source": str(empty)})})
    with pytest.raises(PreflightError, match="source table is empty"):
        run_pipeline(DEFINITION, config, local_settings(tmp_path), runner="local")


def test_cli_reports_a_broken_config_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text((PIPELINES / "churn.yaml").read_text().replace("type: lightgbm", "type: deep_forest"))
    assert main(["run", "--config", str(broken)]) == 2
    err = capsys.readouterr().err
    assert f"mlops: error: {broken}" in err and "model.type" in err and "Traceback" not in err


def test_a_failing_step_fails_the_run_registers_nothing_and_notifies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # LightGBM refuses num_leaves=1 when fitting: a failure in the middle of the run. (An unknown
    # hyperparameter name no longer gets that far: preflight refuses it.)
    settings = local_settings(tmp_path)
    record = run_pipeline(DEFINITION, small("churn.yaml", model__params={"num_leaves": 1}), settings, runner="local")

    assert record.status == "FAILED" and record.error == "failed step(s): train"
    statuses = {task.name: task.status for task in record.tasks}
    assert statuses["features"] == "SUCCEEDED" and statuses["train"] == "FAILED" and "evaluate" not in statuses
    notify = record.task("notify")
    assert notify is not None and notify.outputs["Output"] == "FAILED"
    assert open_registry(settings.resolved_registry_uri()).list_versions("churn-classifier") == []
    assert "fitting lightgbm on" in Path(record.links["log"]).read_text()
    err = capsys.readouterr().err
    assert "[4] train: FAILED" in err
    # The failing step's own exception and where it was raised, not the exit handler's input.
    assert "step train failed: train.core.TrainError: fitting lightgbm on " in err
    assert re.search(r'^  File ".*/train/core\.py", line \d+, in train_model$', err, re.M)
    assert f"full log: {record.links['log']} (from line " in err and "executor_input" not in err
    assert show_run(settings, record.run_id)["status"] == "FAILED"  # recorded first if still waiting
