"""A step's own error fails the step at its first attempt, in a real local run, even with retries.

The source is a CSV that preflight accepts but ingest refuses (a column named as ingest's split
column), so the error is raised inside the ingest step's process. The config gives ingest both
kinds of retries: `retries` (transient errors, retried by the step) and `infrastructure_retries`
(KFP's task retry, Vertex AI only). Before, kfp.local re-ran the step twice, 30 s and 60 s apart.
"""

from __future__ import annotations

from pathlib import Path

from mlops.pipeline_config import StepResources
from mlops.runs import RunRecord
from mlops_cli.commands import run_parameters, step_environment
from mlops_cli.local_runner import run_local
from run_fixtures import local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION


def _reserved_column_csv(folder: Path) -> Path:
    rows = ["entity_id,event_timestamp,tenure_months,monthly_charges,support_calls,contract_type,"
            "payment_method,region,churned,__split"]  # fmt: skip
    rows += [f"{i},2026-01-01 00:00:00,{i % 60 + 1},{20 + i % 50},{i % 4},a,x,n,{i % 2},x" for i in range(200)]
    path = folder / "reserved.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_permanent_ingest_error_is_not_retried_by_the_step_or_the_local_runner(tmp_path: Path) -> None:
    source = _reserved_column_csv(tmp_path)
    config = small("churn.yaml", data__source=str(source))
    config.resources["ingest"] = StepResources(retries=2, infrastructure_retries=2)
    DEFINITION.preflight(config)  # the source passes preflight: the error is ingest's own
    settings = local_settings(tmp_path)
    record = RunRecord("permanent-1", DEFINITION.run_name(config), "local", "local")
    parameters = run_parameters(DEFINITION, config, settings, {}, record.run_id)
    pipeline = DEFINITION.build(config, DEFINITION.unbuilt_images(), step_environment(settings))
    log = tmp_path / "run.log"

    run_local(pipeline, parameters, record, pipeline_root=tmp_path / "pipeline-root", log_path=log)

    assert record.status == "FAILED" and record.error == "failed step(s): ingest"
    ingest = record.task("ingest")
    assert ingest is not None and ingest.status == "FAILED"
    assert ingest.attempts == 1  # neither the step (permanent error) nor kfp.local (no task retry) re-ran it
    text = log.read_text()
    assert "column name '__split' is reserved for the split" in text
    assert "transient error" not in text and "Retrying in" not in text
