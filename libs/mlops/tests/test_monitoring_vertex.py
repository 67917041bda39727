"""Vertex AI Model Monitoring (v2) through the real SDK against the local fake of the REST API: the
requests on the wire, parsed into the SDK's own aiplatform_v1beta1 protos."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import aiplatform_v1beta1  # pants: no-infer-dep
from google.protobuf import json_format  # pants: no-infer-dep

from mlops.monitoring.config import MonitoringConfig, MonitoringConfigError
from mlops.monitoring.vertex import configure_vertex_monitor
from mlops.registry import ModelVersion, VertexModelRegistry, open_registry
from mlops.testing.fake_vertex import FakeVertex

PARENT = "projects/test-project/locations/us-central1"
ENDPOINT = f"{PARENT}/endpoints/123"
CHANNEL = "projects/test-project/notificationChannels/987"
CONFIG = MonitoringConfig.model_validate(
    {"default_threshold": 0.3, "thresholds": {"plan": 0, "tenure_months": 0.1}, "windows": ["6h", "7d"],
     "metrics": {"categorical": "jensen_shannon"}}
)  # fmt: skip


def parses(body: dict[str, Any], message: str) -> Any:
    """The body as the SDK's own v1beta1 proto: fails on any field the real API would not know."""
    return json_format.ParseDict(body, getattr(aiplatform_v1beta1.types, message).pb()(), ignore_unknown_fields=False)


@pytest.fixture()
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        server.init_sdk(project="other-project", location="europe-west4")  # the monitor names its own
        yield server


@pytest.fixture()
def version(fake: FakeVertex) -> ModelVersion:
    registry = open_registry("vertex://test-project/us-central1", serving_image="europe-docker.pkg.dev/p/serve:1")
    assert isinstance(registry, VertexModelRegistry)
    registry.register("churn", "gs://bucket/run-1/model", metrics={"auc": 0.8})
    return registry.register("churn", "gs://bucket/run-2/model", metrics={"auc": 0.8})


def configure(version: ModelVersion, config: MonitoringConfig = CONFIG, **overrides: Any) -> Any:
    arguments: dict[str, Any] = dict(
        numeric=["tenure_months", "monthly_charges"], categorical=["plan"], serving=ENDPOINT,
        training_table="bq://test-project.features.churn_train", cron="TZ=UTC 0 2 * * *",
        output_uri="gs://bucket/monitoring/churn", project="test-project", location="us-central1",
        emails=["oncall@example.com"], notification_channels=[CHANNEL],
    )  # fmt: skip
    return configure_vertex_monitor(config, version, **{**arguments, **overrides})


def test_creates_a_monitor_for_the_version_with_every_threshold_on_the_wire(
    fake: FakeVertex, version: ModelVersion
) -> None:
    result = configure(version, MonitoringConfig.model_validate({**CONFIG.model_dump(), "default_threshold": 0}))
    (create,) = fake.requests_to("POST", "/modelMonitors")
    assert create.path == f"/v1beta1/{PARENT}/modelMonitors" and result.created
    monitor = parses(create.body, "ModelMonitor")
    target = monitor.model_monitoring_target.vertex_model
    assert f"{target.model}@{target.model_version_id}" == version.resource_name and target.model_version_id == "2"
    assert monitor.display_name == "churn-v2"
    drift = monitor.tabular_objective.feature_drift_spec
    # 0 is on the wire as a set threshold (oneof presence), for a feature and for both defaults.
    assert {k: (c.WhichOneof("condition"), c.threshold) for k, c in drift.feature_alert_conditions.items()} == {
        "plan": ("threshold", 0.0),
        "tenure_months": ("threshold", 0.1),
        "monthly_charges": ("threshold", 0.0),  # the default, 0 here
    }
    assert create.body["tabularObjective"]["featureDriftSpec"]["featureAlertConditions"]["plan"] == {"threshold": 0.0}
    assert drift.default_numeric_alert_condition.HasField("threshold")
    assert drift.default_categorical_alert_condition.HasField("threshold")
    assert drift.default_numeric_alert_condition.threshold == 0.0
    assert list(drift.features) == ["tenure_months", "monthly_charges", "plan"]
    assert (drift.numeric_metric_type, drift.categorical_metric_type) == ("jensen_shannon_divergence",) * 2
    fields = {f.name: f.data_type for f in monitor.model_monitoring_schema.feature_fields}
    assert fields == {"tenure_months": "float", "monthly_charges": "float", "plan": "categorical"}
    assert monitor.training_dataset.columnized_dataset.bigquery_source.table_uri == "bq://test-project.features.churn_train"
    assert monitor.output_spec.gcs_base_directory.output_uri_prefix == "gs://bucket/monitoring/churn"
    notify = monitor.notification_spec
    assert list(notify.email_config.user_emails) == ["oncall@example.com"] and notify.enable_cloud_logging
    assert [c.notification_channel for c in notify.notification_channel_configs] == [CHANNEL]
    assert result.monitor in fake.monitoring.monitors


def test_schedules_skew_against_training_and_drift_against_the_previous_window(
    fake: FakeVertex, version: ModelVersion
) -> None:
    result = configure(version)
    creates = {r.body["displayName"]: r for r in fake.requests_to("POST", "/schedules")}
    assert sorted(creates) == ["churn-v2-drift", "churn-v2-skew"]
    assert set(result.schedules.values()) == set(fake.schedules.schedules)
    for kind, request in creates.items():
        assert request.path == f"/v1beta1/{PARENT}/schedules"
        schedule = parses(request.body, "Schedule")
        assert schedule.cron == "TZ=UTC 0 2 * * *" and schedule.max_concurrent_run_count == 1
        job = schedule.create_model_monitoring_job_request
        assert job.parent == result.monitor
        spec = job.model_monitoring_job.model_monitoring_spec
        target = spec.objective_spec.target_dataset
        assert list(target.vertex_endpoint_logs.endpoints) == [ENDPOINT] and target.time_offset.window == "6h"
        conditions = spec.objective_spec.tabular_objective.feature_drift_spec.feature_alert_conditions
        assert conditions["plan"].HasField("threshold") and conditions["plan"].threshold == 0.0
        assert [c.notification_channel for c in spec.notification_spec.notification_channel_configs] == [CHANNEL]
        baseline = spec.objective_spec.baseline_dataset
        if kind == "churn-v2-skew":
            assert baseline.columnized_dataset.bigquery_source.table_uri == "bq://test-project.features.churn_train"
        else:
            assert (baseline.time_offset.offset, baseline.time_offset.window) == ("6h", "6h")
            assert list(baseline.vertex_endpoint_logs.endpoints) == [ENDPOINT]


def test_a_bigquery_input_carries_the_timestamp_field_and_window(fake: FakeVertex, version: ModelVersion) -> None:
    configure(version, serving="bq://test-project.serving_logs.churn_flat", timestamp_field="served_at")
    request = next(r for r in fake.requests_to("POST", "/schedules") if r.body["displayName"].endswith("-skew"))
    spec = parses(request.body, "Schedule").create_model_monitoring_job_request.model_monitoring_job
    target = spec.model_monitoring_spec.objective_spec.target_dataset
    assert target.columnized_dataset.bigquery_source.table_uri == "bq://test-project.serving_logs.churn_flat"
    assert target.columnized_dataset.timestamp_field == "served_at" and target.time_offset.window == "6h"


def test_a_rerun_updates_the_monitor_and_its_schedules_in_place(fake: FakeVertex, version: ModelVersion) -> None:
    first = configure(version)
    changed = MonitoringConfig.model_validate({**CONFIG.model_dump(), "thresholds": {"plan": 0.2}})
    second = configure(version, changed, cron="0 3 * * *")
    assert not second.created and second.monitor == first.monitor and second.schedules == first.schedules
    assert len(fake.monitoring.monitors) == 1 and len(fake.schedules.schedules) == 2
    (patch,) = fake.requests_to("PATCH", "/modelMonitors/")
    assert "tabularObjective" in patch.query["updateMask"][0].split(",")  # a FieldMask in JSON form
    conditions = parses(patch.body, "ModelMonitor").tabular_objective.feature_drift_spec.feature_alert_conditions
    assert conditions["plan"].threshold == 0.2 and conditions["tenure_months"].threshold == 0.3
    patches = fake.requests_to("PATCH", "/schedules/")
    assert len(patches) == 2 and all(parses(p.body, "Schedule").cron == "0 3 * * *" for p in patches)
    stored = fake.schedules.schedules[first.schedules["skew"]]
    assert stored["cron"] == "0 3 * * *"
    spec = stored["createModelMonitoringJobRequest"]["modelMonitoringJob"]["modelMonitoringSpec"]
    assert spec["objectiveSpec"]["tabularObjective"]["featureDriftSpec"]["featureAlertConditions"]["plan"] == {
        "threshold": 0.2
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"serving": "my-endpoint"}, "serving input 'my-endpoint' is neither an endpoint"),
        ({"serving": "projects/p/locations/europe-west4/endpoints/1"}, "is in europe-west4, not in location"),
        ({"training_table": "gs://b/train.parquet"}, "training_table 'gs://b/train.parquet' is not a BigQuery table"),
        ({"cron": "daily"}, "cron 'daily' is not five cron fields"),
        ({"emails": ["oncall"]}, "notification email 'oncall' is not an e-mail address"),
        ({"notification_channels": ["987"]}, "notification channel '987' is not projects/"),
        ({"output_uri": "/tmp/out"}, "output_uri '/tmp/out' is not a gs:// folder"),
        ({"categorical": ["plan", "tenure_months"]}, r"\['tenure_months'\] are both numeric and categorical"),
        ({"categorical": []}, r"monitoring.thresholds names feature\(s\) \['plan'\]"),
    ],
)
def test_bad_input_fails_before_any_request(
    fake: FakeVertex, version: ModelVersion, overrides: dict[str, Any], message: str
) -> None:
    before = len(fake.requests)
    with pytest.raises(MonitoringConfigError, match=message):
        configure(version, **overrides)
    assert len(fake.requests) == before


def test_windows_vertex_cannot_express_and_local_versions_are_refused(fake: FakeVertex, version: ModelVersion) -> None:
    minutes = MonitoringConfig.model_validate({**CONFIG.model_dump(), "windows": ["30m"]})
    with pytest.raises(MonitoringConfigError, match="'30m' cannot be a Vertex AI window"):
        configure(version, minutes)
    local = ModelVersion("churn", "1", [], {}, {}, "/models/churn/1", "2026-01-01T00:00:00Z")
    with pytest.raises(MonitoringConfigError, match="churn version 1 is not on Vertex AI"):
        configure(local)
    assert fake.requests_to(path_contains="modelMonitors") == []


def test_the_api_refuses_a_monitor_for_a_version_it_does_not_have(fake: FakeVertex, version: ModelVersion) -> None:
    from google.api_core import exceptions  # pants: no-infer-dep

    missing = ModelVersion("churn", "9", [], {}, {}, "gs://b", "2026-01-01T00:00:00Z",
                           resource_name=str(version.resource_name).split("@")[0] + "@9")  # fmt: skip
    with pytest.raises(exceptions.NotFound):
        configure(missing)
    assert fake.monitoring.monitors == {} and fake.schedules.schedules == {}
