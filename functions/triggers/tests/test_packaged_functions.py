"""The zips `./pants package` builds (dist/functions.triggers/*.zip) start as Cloud Functions do:
unpacked, `functions-framework --target ENTRY_POINT --source main.py`, on the vendored wheels only
(`python -S`: no site-packages), and answer real requests; Vertex AI is the fake, GCS the emulator."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops.testing.fake_vertex import FakeVertex
from mlops.testing.gcs_emulator import gcs_emulator


def unpacked(name: str, folder: Path) -> Path:
    """The zip Pants built for this test (a runtime package dependency), unpacked into `folder`."""
    with zipfile.ZipFile(Path("functions.triggers") / f"{name}.zip") as archive:
        archive.extractall(folder)
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(tree: Path, target: str, signature: str, environment: dict[str, str]) -> Iterator[str]:
    """Run the unpacked function with functions-framework; yields its URL."""
    port = free_port()
    command = [sys.executable, "-S", "-m", "functions_framework", "--target", target, "--source", "main.py"]
    command += ["--signature-type", signature, "--port", str(port)]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tree), **environment}
    process = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        assert process.poll() is None, process.communicate()[0]
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(url: str, body: Any, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_each_zip_has_its_entry_point_in_main_py(tmp_path: Path) -> None:
    zips = (("scheduled-run", "start_scheduled_run"), ("new-data-run", "start_run_on_new_data"))
    for name, entry_point in (*zips, ("drift-run", "start_run_on_drift")):
        with zipfile.ZipFile(Path("functions.triggers") / f"{name}.zip") as archive:
            names = set(archive.namelist())
            assert f"from triggers.main import {entry_point}  #" in archive.read("main.py").decode()
        assert {"triggers/main.py", "mlops/pipeline_spec.py", "functions_framework/__init__.py"} <= names
        assert "google/cloud/aiplatform/__init__.py" in names


def test_the_unpacked_http_function_submits_a_run(
    tmp_path: Path, environment: dict[str, str], fake: FakeVertex
) -> None:
    tree = unpacked("scheduled-run", tmp_path / "scheduled-run")
    # The SDK checks the pipeline root's bucket before it submits (creating it if missing): in the emulator.
    with gcs_emulator(bucket="unrelated"):
        variables = {**environment, "STORAGE_EMULATOR_HOST": os.environ["STORAGE_EMULATOR_HOST"]}
        for url in serve(tree, "start_scheduled_run", "http", variables):
            code, answer = post(url, {"pipeline": "churn"}, {"Idempotency-Key": "packaged"})
    assert code == 200 and answer["status"] == "started", answer
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    assert create.query["pipelineJobId"] == [answer["job_id"]]


def test_the_unpacked_event_function_answers_events(tmp_path: Path, environment: dict[str, str]) -> None:
    tree = unpacked("new-data-run", tmp_path / "new-data-run")
    headers = {
        "ce-id": "1",
        "ce-specversion": "1.0",
        "ce-source": "//storage.googleapis.com/projects/_/buckets/elsewhere",
        "ce-type": "google.cloud.storage.object.v1.finalized",
    }
    for url in serve(tree, "start_run_on_new_data", "cloudevent", environment):
        ignored = post(url, {"bucket": "elsewhere", "name": "a.csv"}, headers)
        malformed = post(url, {"name": "a.csv"}, headers)
    assert ignored == (200, {**ignored[1], "status": "ignored"})
    assert malformed[0] == 400 and malformed[1]["field"] == "data.bucket"


def pubsub_alert(crossed_features: str) -> dict[str, Any]:
    """A Pub/Sub push body whose message is a monitoring alert's LogEntry (test_drift_run.py has it whole)."""
    fields = {"model": "churn-classifier", "crossed_features": crossed_features, "crossed_health": "error_rate"}
    alert = {"key": "monitoring:churn-classifier:3:2026-12-02T00:00:00+00:00", "title": "t", "fields": fields}
    entry = {"jsonPayload": {"alert": alert}, "severity": "WARNING"}
    return {"message": {"data": base64.b64encode(json.dumps(entry).encode()).decode(), "messageId": "1"}}


def test_the_unpacked_drift_function_starts_a_run_on_a_drift_alert(
    tmp_path: Path, environment: dict[str, str], fake: FakeVertex
) -> None:
    tree = unpacked("drift-run", tmp_path / "drift-run")
    headers = {
        "ce-id": "1",
        "ce-specversion": "1.0",
        "ce-source": "//pubsub.googleapis.com/projects/acme-mlops-dev/topics/monitoring-drift",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
    }
    with gcs_emulator(bucket="unrelated"):
        variables = {**environment, "STORAGE_EMULATOR_HOST": os.environ["STORAGE_EMULATOR_HOST"]}
        for url in serve(tree, "start_run_on_drift", "cloudevent", variables):
            started = post(url, pubsub_alert("tenure_months"), headers)
            ignored = post(url, pubsub_alert(""), {**headers, "ce-id": "2"})
    assert started[0] == 200 and started[1]["status"] == "started", started
    assert ignored == (200, {**ignored[1], "status": "ignored"})
    (create,) = fake.requests_to("POST", "/pipelineJobs")
    assert create.query["pipelineJobId"] == [started[1]["job_id"]] and started[1]["job_id"].startswith("churn-drift-")


pytestmark = pytest.mark.usefixtures("environment")
