"""`python -m serve` as Vertex AI runs it: configured by AIP_* variables, stopped by SIGTERM,
refusing to start on a tampered bundle or a bad setting (one line, exit 2, no traceback)."""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import joblib
import pytest

from serve import api
from serve_fixtures import CHURN_ROW, free_port, parquet_rows, post  # pants: no-infer-dep

pytest_plugins = ["serve_fixtures"]  # fixtures: see serve_fixtures.py


def environment(bundle: str, **variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIP_", "MLOPS_"))}
    return {**env, "PYTHONPATH": os.pathsep.join(sys.path), api.STORAGE_URI_ENV: bundle, **variables}


@contextmanager
def serving(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(api.command(), env=env, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_finishes_in_flight_requests_writes_the_request_log_and_exits_0(bundles, tmp_path: Path) -> None:
    port, requests = free_port(), tmp_path / "requests"
    env = environment(
        bundles["churn"],
        AIP_HTTP_PORT=str(port),
        MLOPS_SERVE_WORKERS="2",
        MLOPS_REQUEST_LOG_DIR=str(requests),
        MLOPS_REQUEST_LOG_SAMPLE_RATE="1",
    )
    url = f"http://127.0.0.1:{port}"
    with serving(env) as process:
        api.wait_for_health(url, timeout=120)
        assert post(url + "/predict", {"instances": [CHURN_ROW]})[0] == 200
        # A request in flight when SIGTERM arrives (half its body sent) still gets its answer.
        body = json.dumps({"instances": [CHURN_ROW] * 500}).encode()
        with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
            connection.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
            connection.sendall(body[:1000])
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            connection.sendall(body[1000:])
            response = http.client.HTTPResponse(connection)
            response.begin()
            status, payload = response.status, response.read()
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr[-2000:]
    assert status == 200 and len(json.loads(payload)["predictions"]) == 500
    assert parquet_rows(requests) == 501  # flushed at shutdown
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [line["httpRequest"] for line in lines if "httpRequest" in line]
    assert {"requestMethod": "POST", "requestUrl": "/predict", "status": 200}.items() <= access[-1].items()
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("change", "variables", "message"),
    [
        ("tamper", {}, "model.joblib does not match the checksum in bundle.json"),
        ("none", {"AIP_HTTP_PORT": "eighty"}, "AIP_HTTP_PORT='eighty' is not an integer"),
        ("none", {"AIP_PREDICT_ROUTE": "predict"}, "AIP_PREDICT_ROUTE='predict' must be a path starting with '/'"),
        ("missing", {}, "not a model bundle"),
        ("not-a-pipeline", {}, "model.joblib holds a dict, not a fitted pipeline"),
    ],
)
def test_refuses_to_start_naming_the_problem(bundles, tmp_path: Path, change, variables, message) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name in ("bundle.json", "model.joblib"):
        (bundle / name).write_bytes(Path(bundles["churn"], name).read_bytes())
    if change == "tamper":
        model = bundle / "model.joblib"
        model.write_bytes(model.read_bytes() + b"\x00")
    if change == "not-a-pipeline":  # a checksum that matches, over a pickle that is no model
        pickled = io.BytesIO()
        joblib.dump({"weights": [1, 2]}, pickled)
        (bundle / "model.joblib").write_bytes(pickled.getvalue())
        info = json.loads((bundle / "bundle.json").read_text())
        info["model_sha256"] = hashlib.sha256(pickled.getvalue()).hexdigest()
        (bundle / "bundle.json").write_text(json.dumps(info))
    location = str(tmp_path / "nowhere") if change == "missing" else str(bundle)
    env = environment(location, **{"AIP_HTTP_PORT": str(free_port()), **variables})
    done = subprocess.run(api.command(), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr.strip().splitlines()[-1] and "Traceback" not in done.stderr
