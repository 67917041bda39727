"""Integration: the monitoring pipeline run as `mlops run` runs it (kfp.local), on a registered churn
version and a hand-written request log in the local endpoints' folder: report, metrics, one alert;
the same window again (pipeline or `mlops monitor`) alerts no more."""

import json
from pathlib import Path

import yaml

from mlops.testing.monitoring import END, register_monitored
from mlops_cli.commands import run_pipeline
from mlops_cli.main import main
from monitoring.config import MonitoringPipelineConfig
from monitoring.pipeline import DEFINITION
from run_fixtures import PIPELINES, local_settings  # pants: no-infer-dep


def test_two_runs_of_one_window_report_twice_and_alert_once(tmp_path: Path, capsys) -> None:
    settings = local_settings(tmp_path)
    requests = Path(settings.storage_root) / "endpoints" / "local" / "requests"
    register_monitored(Path(settings.storage_root), requests)
    data = yaml.safe_load((PIPELINES / "churn-monitoring.yaml").read_text())
    assert data.pop("pipeline") == DEFINITION.name
    alerts = Path(settings.metadata_dir) / "monitoring"  # where `mlops monitor` keeps its dedup record
    data["monitor"].update(source=str(requests), end=END.isoformat(), alerts_dir=str(alerts))
    config = MonitoringPipelineConfig.model_validate(data)

    first = run_pipeline(DEFINITION, config, settings, runner="local")
    assert first.status == "SUCCEEDED", first.error  # a crossed threshold is a finding, not a failure
    assert [task.name for task in first.tasks] == [step.name for step in DEFINITION.steps]
    monitor = first.task("monitor")
    assert monitor is not None
    outcome = json.loads(monitor.outputs["Output"])
    assert outcome["crossed_features"] == ["tenure_months"] and outcome["alert"] == {"log": "sent", "file": "sent"}
    assert "tenure_months" in Path(monitor.outputs["report"]["uri"]).read_text()
    assert json.loads(Path(monitor.outputs["metrics"]["uri"]).read_text())["metrics"]["skew/tenure_months"] > 0.3

    second = run_pipeline(DEFINITION, config, settings, runner="local")
    assert second.status == "SUCCEEDED", second.error
    again = second.task("monitor")
    assert again is not None and again.status == "SUCCEEDED"  # never served from the cache
    assert json.loads(again.outputs["Output"])["alert"] == {"log": "duplicate", "file": "duplicate"}
    assert len((alerts / "alerts.jsonl").read_text().splitlines()) == 1

    capsys.readouterr()  # the runs' progress lines
    env = tmp_path / "local.yaml"
    env.write_text(yaml.safe_dump(settings.model_dump(mode="json", by_alias=True, exclude_none=True)))
    command = ["--env", str(env), "monitor", "--model", "churn-classifier", "--end", END.isoformat()]
    assert main([*command, "--request-log", str(requests)]) == 3, capsys.readouterr().err  # shares the dedup record
    assert "alert: log duplicate, file duplicate" in capsys.readouterr().out
