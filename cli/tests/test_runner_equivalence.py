"""The fast local runner (`local`: steps forked from warm workers, mlops's DAG loop) has kfp.local's
semantics: the project's own pipelines, run under it and under the reference (`kfp-local`: kfp.local
as it is), give the same tasks, statuses, attempts, outputs and cache decisions, take the same
dsl.If branch and run the same exit handler.

Each runner gets its own environment (registry, pipeline root, metadata), so the two are compared
run for run: training twice (the second run is all cache hits but the never-cached steps, and its
champion keeps the first version: the branch not taken), then batch prediction and monitoring.
Outputs are compared as values; artifact paths by where they sit under the pipeline root; timing
values (a latency, a time) are left out by name, since they differ between any two runs.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from batch_prediction.config import BatchPredictionConfig
from batch_prediction.pipeline import DEFINITION as BATCH
from mlops.runs import RunRecord
from mlops.sample_data import SampleSpec, write
from mlops.testing.monitoring import END, register_monitored
from mlops_cli.commands import run_pipeline
from monitoring.config import MonitoringPipelineConfig
from monitoring.pipeline import DEFINITION as MONITORING
from run_fixtures import PIPELINES, local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION as TRAINING

RUNNERS = ("local", "kfp-local")
# Values that measure time, which no two runs share: a step's latency figures, when it ran.
TIMING = re.compile(r"(^|_)(ms|seconds?|at|latency|time|timestamp|date)$|^(registered|created)")
TIMING_OUTPUTS = {("serving_check", "Output")}  # the serving check returns its p99 latency


def comparable(record: RunRecord, root: Path) -> dict[str, Any]:
    """Each task: status, attempts, and its outputs with paths made relative and timing left out."""
    return {
        task.name: (task.status, task.attempts, {k: _value(v, root) for k, v in sorted(task.outputs.items())
                                                 if (task.name, k) not in TIMING_OUTPUTS})  # fmt: skip
        for task in record.tasks
    }


def _value(value: Any, root: Path) -> Any:
    if isinstance(value, dict):
        return {k: _value(v, root) for k, v in sorted(value.items()) if not TIMING.search(str(k))}
    if isinstance(value, list):
        return [_value(v, root) for v in value]
    if isinstance(value, str):
        # Paths under this runner's environment, and run names (which hold the run's start time).
        text = value.replace(str(root), "<root>")
        return re.sub(r"-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-\d+", "-<run>", text)
    if isinstance(value, float):
        return round(value, 9) if math.isfinite(value) else str(value)
    return value


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every pipeline under each runner, in its own environment."""
    found: dict[str, dict[str, Any]] = {}
    for runner in RUNNERS:
        root = tmp_path_factory.mktemp(runner)
        settings = local_settings(root)
        config = small("churn.yaml")
        first = run_pipeline(TRAINING, config, settings, runner=runner)
        again = run_pipeline(TRAINING, config, settings, runner=runner)
        rows = root / "rows.parquet"
        write(SampleSpec("churn", 300, 9), rows)
        batch = yaml.safe_load((PIPELINES / "churn-batch.yaml").read_text())
        batch.pop("pipeline")
        batch["batch"].update(source=str(rows), output=str(root / "out" / "predictions.parquet"))
        predicted = run_pipeline(BATCH, BatchPredictionConfig.model_validate(batch), settings, runner=runner)
        watched = root / "watched"
        requests = watched / "requests"
        register_monitored(watched, requests)
        monitoring = yaml.safe_load((PIPELINES / "churn-monitoring.yaml").read_text())
        monitoring.pop("pipeline")
        monitoring["monitor"].update(source=str(requests), end=END.isoformat(), alerts_dir=str(root / "alerts"))
        monitored_settings = local_settings(root).model_copy(update={"registry_uri": str(watched / "registry")})
        config_m = MonitoringPipelineConfig.model_validate(monitoring)
        monitored = run_pipeline(MONITORING, config_m, monitored_settings, runner=runner)
        found[runner] = {"root": root, "first": first, "again": again, "batch": predicted, "monitor": monitored}
    return found


@pytest.mark.parametrize("run", ["first", "again", "batch", "monitor"])
def test_both_runners_record_the_same_run(runs: dict[str, dict[str, Any]], run: str) -> None:
    fast, reference = (runs[runner][run] for runner in RUNNERS)
    assert fast.runner == "local" and reference.runner == "kfp-local"
    assert (fast.status, fast.error) == (reference.status, reference.error)
    assert comparable(fast, runs["local"]["root"]) == comparable(reference, runs["kfp-local"]["root"])


def test_the_runs_took_the_paths_being_compared(runs: dict[str, dict[str, Any]]) -> None:
    """What the comparison covers happened: cache hits, both dsl.If branches, the exit handler."""
    for runner in RUNNERS:
        first, again = runs[runner]["first"], runs[runner]["again"]
        assert first.status == again.status == "SUCCEEDED", (first.error, again.error)
        statuses = {task.name: task.status for task in again.tasks}
        assert statuses["ingest"] == statuses["train"] == "CACHED"  # cache hits
        assert "register" in {t.name for t in first.tasks} and "register" not in statuses  # the branch not taken
        assert statuses["notify"] == "SUCCEEDED"  # the exit handler, never cached
        outcome = json.loads(runs[runner]["monitor"].task("monitor").outputs["Output"])
        assert outcome["crossed_features"] == ["tenure_months"]
