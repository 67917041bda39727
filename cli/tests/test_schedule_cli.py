"""`mlops schedule create|list|delete`: a Vertex AI PipelineJobSchedule from a config's schedule:
section, through the real SDK to the fake Vertex AI REST API, the request parsed as the API's proto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
import yaml
from google.cloud import aiplatform_v1  # pants: no-infer-dep (comes with google-cloud-aiplatform)
from google.protobuf import json_format  # pants: no-infer-dep

from mlops.testing.fake_vertex import GCS_BUCKET_CHECK, FakeVertex
from mlops_cli.main import main
from run_fixtures import PIPELINES, built  # pants: no-infer-dep
from training.pipeline import DEFINITION

ROOT = Path(__file__).resolve().parents[2]
PARENT = "projects/acme-mlops-dev/locations/europe-west2"


@pytest.fixture()
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeVertex, str]]:
    """config/dev.yaml pointed at the fake, in a folder where the components' images are built."""
    monkeypatch.chdir(tmp_path)
    built(tmp_path / "dist", *DEFINITION.components)
    with FakeVertex() as fake, mock.patch(GCS_BUCKET_CHECK):
        settings = yaml.safe_load((ROOT / "config" / "dev.yaml").read_text())
        settings["gcp"]["api_endpoint"] = fake.endpoint
        settings["images"]["registry"] = "localhost:5000"  # where `built` says the images are
        (tmp_path / "dev.yaml").write_text(yaml.safe_dump(settings))
        yield fake, str(tmp_path / "dev.yaml")


def test_create_sends_the_configs_cron_limit_and_no_queueing(dev: tuple[FakeVertex, str]) -> None:
    fake, env = dev
    assert main(["--env", env, "schedule", "create", str(PIPELINES / "churn.yaml")]) == 0
    (create,) = fake.requests_to("POST", "/schedules")
    assert create.path == f"/v1/{PARENT}/schedules"
    schedule = json_format.ParseDict(create.body, aiplatform_v1.types.Schedule.pb()())  # the API's own schema
    assert schedule.cron == "TZ=Europe/London 0 3 * * 1"
    assert schedule.max_concurrent_run_count == 1 and schedule.allow_queueing is False
    assert schedule.display_name == "churn-training"
    job = schedule.create_pipeline_job_request.pipeline_job
    assert schedule.create_pipeline_job_request.parent == PARENT
    assert job.service_account == "vertex-pipelines@acme-mlops-dev.iam.gserviceaccount.com"
    assert job.runtime_config.gcs_output_directory == "gs://acme-mlops-dev-pipelines/root"
    assert job.runtime_config.parameter_values["source_uri"].string_value == "sample://churn?rows=50000&seed=7"
    images = {e["container"]["image"] for e in job.pipeline_spec["deploymentSpec"]["executors"].values()}
    assert images == {f"localhost:5000/vertex-mlops/{name}:h" for name in DEFINITION.components}
    assert fake.requests_to("POST", "/pipelineJobs") == []  # a schedule, not a run


def test_create_list_delete_round_trip(dev: tuple[FakeVertex, str], capsys: pytest.CaptureFixture[str]) -> None:
    fake, env = dev
    config = str(PIPELINES / "churn.yaml")
    assert main(["--env", env, "schedule", "create", config]) == 0
    assert main(["--env", env, "schedule", "create", config]) == 2  # one schedule per pipeline
    assert "churn-training is scheduled already" in capsys.readouterr().err
    assert main(["--env", env, "schedule", "list"]) == 0
    assert "churn-training\tACTIVE\tTZ=Europe/London 0 3 * * 1\t" in capsys.readouterr().out
    assert main(["--env", env, "schedule", "delete", config]) == 0
    assert "mlops: deleted projects/acme-mlops-dev/" in capsys.readouterr().out
    assert fake.schedules.schedules == {}


def test_a_config_without_a_schedule_is_refused(
    dev: tuple[FakeVertex, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, env = dev
    assert main(["--env", env, "schedule", "create", str(PIPELINES / "energy.yaml")]) == 2
    assert "energy.yaml: no schedule: section" in capsys.readouterr().err
    assert fake.requests_to("POST") == []


@pytest.mark.parametrize(
    ("schedule", "problem"),
    [
        ({"cron": "0 3 * *"}, "expected five cron fields"),
        ({"cron": "0 3 * * 1", "time_zone": "Europe/Londn"}, "unknown IANA time zone 'Europe/Londn'"),
        ({"cron": "0 3 * * 1", "max_concurrent_runs": 0}, "max_concurrent_runs"),
        ({"cron": "0 3 * * 1", "start_time": "2027-01-02T00:00:00Z", "end_time": "2027-01-01T00:00:00Z"}, "not after"),
        ({"cron": "0 3 * * 1", "queue": True}, "queue"),
    ],
)
def test_a_bad_schedule_section_names_the_key(
    dev: tuple[FakeVertex, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: dict, problem: str
) -> None:
    fake, env = dev
    config = yaml.safe_load((PIPELINES / "churn.yaml").read_text())
    (tmp_path / "churn.yaml").write_text(yaml.safe_dump({**config, "schedule": schedule}))
    assert main(["--env", env, "schedule", "create", str(tmp_path / "churn.yaml")]) == 2
    err = capsys.readouterr().err
    assert "schedule" in err and problem in err and fake.requests == []


def test_start_and_end_times_reach_the_schedule(dev: tuple[FakeVertex, str], tmp_path: Path) -> None:
    fake, env = dev
    config = yaml.safe_load((PIPELINES / "churn.yaml").read_text())
    window = {"start_time": "2027-01-01T00:00:00+00:00", "end_time": "2027-06-30T00:00:00+00:00"}
    config["schedule"] = {**config["schedule"], **window, "max_concurrent_runs": 2}
    (tmp_path / "churn.yaml").write_text(yaml.safe_dump(config))
    assert main(["--env", env, "schedule", "create", str(tmp_path / "churn.yaml")]) == 0
    (create,) = fake.requests_to("POST", "/schedules")
    schedule = json_format.ParseDict(create.body, aiplatform_v1.types.Schedule.pb()())
    assert schedule.start_time.ToJsonString() == "2027-01-01T00:00:00Z"
    assert schedule.end_time.ToJsonString() == "2027-06-30T00:00:00Z" and schedule.max_concurrent_run_count == 2


def test_compile_with_defaults_gives_a_spec_the_triggers_can_submit(
    dev: tuple[FakeVertex, str], tmp_path: Path
) -> None:
    from mlops import pipeline_spec

    _, env = dev
    output = tmp_path / "latest.yaml"
    args = ["--env", env, "compile", "--config", str(PIPELINES / "churn.yaml"), "--output", str(output)]
    assert main([*args, "--built-images", "--with-defaults"]) == 0
    spec = yaml.safe_load(output.read_text())
    assert pipeline_spec.missing_parameters(spec, []) == []
    assert pipeline_spec.defaults(spec)["registry_uri"] == "vertex://acme-mlops-dev/europe-west2"
    assert main(args) == 0
    assert "source_uri" in pipeline_spec.missing_parameters(yaml.safe_load(output.read_text()), [])
