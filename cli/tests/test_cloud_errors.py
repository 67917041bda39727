"""`mlops --env dev` with a cloud problem prints one line, not a traceback: each test runs the CLI
against the fake Vertex AI REST API answering as Vertex AI would (403, 404), or with no credentials."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlops.testing.fake_vertex import FakeVertex
from mlops_cli.main import main

PROJECT = "acme-mlops-dev"


def dev_config(folder: Path, api_endpoint: str | None) -> str:
    gcp = {"project_id": PROJECT, "region": "europe-west2", "pipeline_root": "gs://acme-pipelines/root"}
    if api_endpoint:
        gcp["api_endpoint"] = api_endpoint
    path = folder / "dev.yaml"
    path.write_text(yaml.safe_dump({"environment": "dev", "storage_root": "gs://acme-data", "gcp": gcp}))
    return str(path)


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def test_an_unknown_run_id_names_the_job_and_what_to_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeVertex() as fake:
        assert main(["--env", dev_config(tmp_path, fake.endpoint), "runs", "show", "no-such-run"]) == 2
    err = one_line_error(capsys)
    job = f"projects/{PROJECT}/locations/europe-west2/pipelineJobs/no-such-run"
    assert err.startswith(f"mlops: error: Google API GET {job} failed: not found (404): ")
    assert "check the name or run id (mlops runs list)" in err


def test_permission_denied_names_the_call_and_the_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeVertex() as fake:
        fake.fail("GET", "/pipelineJobs", code=403, status="PERMISSION_DENIED")
        assert main(["--env", dev_config(tmp_path, fake.endpoint), "runs", "list"]) == 2
    err = one_line_error(capsys)
    assert err.startswith(f"mlops: error: Google API GET projects/{PROJECT}/locations/europe-west2/pipelineJobs failed")
    assert "permission denied (403)" in err and "check gcp.project_id" in err


def test_missing_credentials_say_how_to_log_in(tmp_path: Path) -> None:
    # A fresh process: google-auth reads where to look for credentials when it is imported.
    env = {key: value for key, value in os.environ.items() if key != "GOOGLE_APPLICATION_CREDENTIALS"}
    env.update(
        PYTHONPATH=os.pathsep.join(sys.path),
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),  # no `gcloud auth application-default login` here
        NO_GCE_CHECK="true",  # not on a GCE VM: do not probe the metadata server
    )
    command = [sys.executable, "-m", "mlops_cli.main", "--env", dev_config(tmp_path, None), "runs", "list"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "mlops: error: no Google Cloud credentials found: run `gcloud auth application-default login`, "
        "or set GOOGLE_APPLICATION_CREDENTIALS to a service account key file"
    )
