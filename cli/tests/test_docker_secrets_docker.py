"""A Docker-runner step sees the variables the run's `env:` secret references name (a container
does not inherit the shell's environment), next to its own; the value never enters the spec.

A one-step pipeline whose container (an image Pants built) writes the two variables to a file in a
mounted folder. No `from __future__ import annotations`: KFP reads the components' real annotations.
"""

from pathlib import Path

import pytest
from kfp import dsl

from mlops.runs import RunRecord
from mlops.testing.docker_images import built_image
from mlops_cli.local_runner import docker_mounts, run_local


def test_an_env_reference_reaches_the_step_container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_TEST_WEBHOOK", "https://hooks.example/secret-path")
    monkeypatch.setenv("MLOPS_TEST_UNREFERENCED", "not for the container")
    out = tmp_path / "out"
    out.mkdir()
    image = built_image("notify")

    @dsl.container_component
    def show(secret: str, folder: str):  # - KFP's container component
        script = 'echo "$MLOPS_TEST_WEBHOOK|$MLOPS_TEST_OWN|${MLOPS_TEST_UNREFERENCED:-unset}" > "$1/env.txt"'
        return dsl.ContainerSpec(image=image, command=["sh", "-c", script, "sh"], args=[folder])

    @dsl.pipeline(name="secrets")
    def pipeline(secret: str, folder: str) -> None:
        show(secret=secret, folder=folder).set_caching_options(False).set_env_variable("MLOPS_TEST_OWN", "own")

    parameters = {"secret": "env:MLOPS_TEST_WEBHOOK", "folder": str(out)}
    record = RunRecord("secrets-1", "secrets", "docker", "local")
    run_local(pipeline, parameters, record, pipeline_root=tmp_path / "root", runner="docker",
              mounts=docker_mounts(parameters), log_path=tmp_path / "run.log")  # fmt: skip
    assert record.status == "SUCCEEDED", record.error
    assert (out / "env.txt").read_text().strip() == "https://hooks.example/secret-path|own|unset"
    assert "secret-path" not in str(record.parameters)
