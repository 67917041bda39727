"""`mlops deploy | predict | endpoints list | promote | rollback | undeploy`, end to end through `main`.

Vertex AI: the real SDK against the fake REST API (mlops.testing.fake_vertex). Local: a real
server process, `mlops.testing.stand_in_server` (a test double of components/serve that keeps its
AIP_* contract), started through $MLOPS_SERVE_COMMAND as a user would point at another server.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mlops.registry import LocalModelRegistry, open_registry
from mlops.testing import stand_in_server
from mlops.testing.fake_vertex import FakeVertex
from mlops_cli.main import main

PROJECT, REGION = "acme-mlops-dev", "europe-west2"


def config(folder: Path, environment: str, gcp_extra: dict[str, str] | None = None, **extra: object) -> str:
    gcp = {"project_id": PROJECT, "region": REGION, "pipeline_root": str(folder / "root"), **(gcp_extra or {})}
    settings = {"environment": environment, "storage_root": str(folder / "data"), "gcp": gcp, **extra}
    path = folder / f"{environment}.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.fixture()
def vertex(tmp_path: Path) -> Iterator[tuple[FakeVertex, str]]:
    with FakeVertex() as fake:
        serving = {"machine_type": "n1-standard-8", "min_replicas": 1, "max_replicas": 3}
        env = config(tmp_path, "dev", {"api_endpoint": fake.endpoint}, registry_uri=f"vertex://{PROJECT}/{REGION}",
                     serving=serving)  # fmt: skip
        fake.init_sdk(project=PROJECT, location=REGION)
        registry = open_registry(f"vertex://{PROJECT}/{REGION}", serving_image="europe-docker.pkg.dev/p/serve:1")
        for n in (1, 2):
            registry.register("churn", f"gs://bucket/run-{n}/model", metrics={"auc": 0.8})
        yield fake, env


def test_vertex_canary_promote_rollback_and_predict(
    vertex: tuple[FakeVertex, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, env = vertex
    assert main(["--env", env, "deploy", "churn:1", "--target", "vertex"]) == 0
    assert main(["--env", env, "deploy", "churn:2", "--target", "vertex", "--traffic", "10"]) == 0
    out = capsys.readouterr().out
    assert "churn-endpoint (vertex): projects/acme-mlops-dev/locations/europe-west2/endpoints/" in out
    assert "churn:1  90%" in out and "churn:2  10%" in out and "n1-standard-8 x1-3" in out
    instances = tmp_path / "instances.json"
    instances.write_text(json.dumps({"instances": [[1, 2]]}))
    assert main(["--env", env, "predict", "churn-endpoint", "--instances", str(instances)]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"] == [3.0]
    assert main(["--env", env, "promote", "churn-endpoint"]) == 0
    assert "churn:2  100%" in capsys.readouterr().out
    assert len(fake.requests_to("POST", ":undeployModel")) == 1
    assert main(["--env", env, "rollback", "churn-endpoint"]) == 0
    assert main(["--env", env, "endpoints", "list"]) == 0
    listed = capsys.readouterr().out.split("churn-endpoint (vertex)")[-1]
    assert "churn:1  90%" in listed and "churn:2  10%" in listed
    assert (tmp_path / "data" / "endpoints" / "vertex" / "churn-endpoint.json").is_file()


def test_vertex_errors_are_one_line(vertex: tuple[FakeVertex, str], capsys: pytest.CaptureFixture[str]) -> None:
    fake, env = vertex
    assert main(["--env", env, "deploy", "churn:7", "--target", "vertex"]) == 2
    assert "model 'churn' has no version '7'" in one_line_error(capsys)
    assert main(["--env", env, "promote", "nope"]) == 2
    assert "Vertex AI endpoint 'nope' not found in project 'acme-mlops-dev'" in one_line_error(capsys)
    fake.fail("GET", "/endpoints", code=403, status="PERMISSION_DENIED")
    assert main(["--env", env, "endpoints", "list", "--target", "vertex"]) == 2
    err = one_line_error(capsys)
    assert f"GET projects/{PROJECT}/locations/{REGION}/endpoints failed: permission denied (403)" in err
    fake.fail("POST", ":deployModel", code=429, status="RESOURCE_EXHAUSTED")
    assert main(["--env", env, "deploy", "churn:1", "--target", "vertex"]) == 2
    err = one_line_error(capsys)
    assert f"Google API POST projects/{PROJECT}/locations/{REGION}/endpoints/" in err and ":deployModel failed" in err
    assert main(["--env", env, "deploy", "churn:1", "--target", "vertex", "--port", "9000"]) == 2
    assert "--docker, --image and --port are for --target local" in one_line_error(capsys)


def test_local_deploy_predict_list_and_undeploy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLOPS_SERVE_COMMAND", shlex.join([sys.executable, stand_in_server.__file__]))
    env = config(tmp_path, "local")
    registry = LocalModelRegistry(tmp_path / "data" / "registry")
    registry.register("churn", str(stand_in_server.write_model(tmp_path / "m", bias=0.5)), metrics={})
    try:
        assert main(["--env", env, "deploy", "churn"]) == 0  # the default version, the default target
        assert "churn-endpoint (local) [healthy]: http://127.0.0.1:" in capsys.readouterr().out
        monkeypatch.setattr(sys, "stdin", io.StringIO('[{"x": 2}]'))
        assert main(["--env", env, "predict", "churn-endpoint", "--instances", "-"]) == 0
        assert json.loads(capsys.readouterr().out)["predictions"] == [2.5]
        assert main(["--env", env, "endpoints", "list"]) == 0
        assert "churn:1  100%" in capsys.readouterr().out
        assert main(["--env", env, "promote", "churn-endpoint"]) == 2
        assert "local endpoint 'churn-endpoint' has no canary to promote: churn:1 takes all" in one_line_error(capsys)
        assert main(["--env", env, "deploy", "churn", "--traffic", "10"]) == 2
        assert "churn:1 already serves local endpoint 'churn-endpoint'" in one_line_error(capsys)
    finally:
        assert main(["--env", env, "undeploy", "churn-endpoint"]) == 0
    assert "[stopped]" in capsys.readouterr().out
    (tmp_path / "rows.json").write_text('[{"x": 1}]')
    assert main(["--env", env, "predict", "churn-endpoint", "--instances", str(tmp_path / "rows.json")]) == 2
    assert "no local endpoint 'churn-endpoint' is recorded" in one_line_error(capsys)
