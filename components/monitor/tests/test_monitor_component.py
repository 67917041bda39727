"""The KFP wrapper: called directly (artifacts filled in), and as a real kfp.local pipeline step."""

import json
from pathlib import Path

from kfp import dsl, local
from kfp.dsl import HTML, Metrics

from mlops.testing.monitoring import END, MODEL, Registered
from monitor import component

pytest_plugins = ["monitor_fixtures"]


def test_wrapper_writes_report_metrics_and_returns_what_crossed(registered: Registered, tmp_path: Path) -> None:
    report = HTML(name="report", uri=str(tmp_path / "report.html"), metadata={})
    metrics = Metrics(name="metrics", uri=str(tmp_path / "metrics"), metadata={})
    text = component.monitor(
        registered.registry_uri, MODEL, "", registered.requests, "1d", END.isoformat(),
        '{"health": {"max_latency_p99_ms": null}}', str(tmp_path / "alerts"), "", report, metrics,
    )  # fmt: skip
    outcome = json.loads(text)
    assert outcome["crossed_features"] == ["tenure_months"] and outcome["alert"] == {"log": "sent", "file": "sent"}
    assert metrics.metadata["rows"] == 60.0 and metrics.metadata["skew/tenure_months"] > 0.3
    assert set(metrics.metadata) >= {"requests", "drift/tenure_months", "health/error_rate", "skew/support_calls"}
    assert "health/latency_p99_ms" not in metrics.metadata  # null in the JSON: no p99 check
    written = json.loads(Path(metrics.path).read_text())  # kfp.local does not write it: the step does
    assert written["metrics"] == metrics.metadata
    assert "<html" in Path(report.path).read_text().lower()


def test_component_runs_as_a_pipeline_step_and_a_crossing_is_not_a_failure(
    registered: Registered, tmp_path: Path
) -> None:
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path / "root"))
    step = component.build_component("example.invalid/monitor:test")

    @dsl.pipeline(name="monitor-only")
    def pipeline(registry_uri: str, source_uri: str, alerts_dir: str) -> str:
        task = step(
            registry_uri=registry_uri,
            model_name=MODEL,
            version="1",
            source_uri=source_uri,
            window="1d",
            window_end=END.isoformat(),
            monitoring_config="{}",
            alerts_dir=alerts_dir,
            webhook_secret="",
        )
        return task.outputs["Output"]

    alerts = str(tmp_path / "a")
    run = pipeline(registry_uri=registered.registry_uri, source_uri=registered.requests, alerts_dir=alerts)
    assert json.loads(run.output)["crossed_health"] == ["error_rate"]
    assert len((tmp_path / "a" / "alerts.jsonl").read_text().splitlines()) == 1
