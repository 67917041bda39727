"""The fake's PipelineJobSchedule routes, driven through the real SDK over REST."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core import exceptions  # pants: no-infer-dep
from google.cloud import aiplatform

from mlops.testing.fake_vertex import FakeVertex

PARENT = "projects/test-project/locations/us-central1"
SPEC = {
    "pipelineInfo": {"name": "hello"},
    "root": {"dag": {"tasks": {}}, "inputDefinitions": {"parameters": {"who": {"parameterType": "STRING"}}}},
    "schemaVersion": "2.1.0",
    "sdkVersion": "kfp-2.17.3",
}


@pytest.fixture()
def fake() -> Iterator[FakeVertex]:
    with FakeVertex() as server:
        server.init_sdk()
        yield server


def job(tmp_path: Path) -> aiplatform.PipelineJob:
    (tmp_path / "spec.json").write_text(json.dumps(SPEC))
    return aiplatform.PipelineJob(
        display_name="hello", template_path=str(tmp_path / "spec.json"), pipeline_root="gs://b/root",
        parameter_values={"who": "world"},
    )  # fmt: skip


def test_create_get_list_delete(fake: FakeVertex, tmp_path: Path) -> None:
    created = job(tmp_path).create_schedule(cron="TZ=UTC 0 1 * * *", display_name="nightly", max_concurrent_run_count=2)
    assert created.resource_name.startswith(f"{PARENT}/schedules/")
    assert created.state is not None and created.state.name == "ACTIVE"
    assert aiplatform.PipelineJobSchedule.get(created.resource_name).cron == "TZ=UTC 0 1 * * *"
    job(tmp_path).create_schedule(cron="0 2 * * *", display_name="other")
    listed = aiplatform.PipelineJobSchedule.list(filter='display_name="nightly"')
    assert [s.resource_name for s in listed] == [created.resource_name]
    assert len(aiplatform.PipelineJobSchedule.list()) == 2
    created.delete()
    assert [s.display_name for s in aiplatform.PipelineJobSchedule.list()] == ["other"]
    with pytest.raises(exceptions.NotFound, match="not found"):
        aiplatform.PipelineJobSchedule.get(created.resource_name)


def test_a_schedule_without_a_cron_is_refused(fake: FakeVertex, tmp_path: Path) -> None:
    with pytest.raises(exceptions.BadRequest, match="schedule.cron is required"):
        job(tmp_path).create_schedule(cron="", display_name="never")
    assert fake.schedules.schedules == {}


def test_a_malformed_body_is_a_400(fake: FakeVertex) -> None:
    body = json.dumps({"cron": "0 1 * * *", "maxConcurrentRunCount": "x"}).encode()
    request = urllib.request.Request(f"{fake.endpoint}/v1/{PARENT}/schedules", body, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 400 and "invalid Schedule" in json.loads(refused.value.read())["error"]["message"]
