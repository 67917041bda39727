"""SIGTERM during a Docker-runner run stops the step's container, which kfp.local starts detached
(it would otherwise run on after `mlops` exited), and the run is recorded as CANCELLED.

The run is a real process running a one-step pipeline (a container that sleeps) in an image Pants
built; the test finds the container through Docker, by the run's label.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import docker

from mlops.testing.docker_images import built_image
from mlops_cli.local_runner import CONTAINER_LABEL

RUN = """
import sys
from pathlib import Path
from kfp import dsl
from mlops.runs import RunRecord
from mlops_cli.local_runner import run_local
from mlops_cli.stopping import Stopper

image, root, run_id = sys.argv[1], Path(sys.argv[2]), sys.argv[3]

@dsl.container_component
def sleeper():
    return dsl.ContainerSpec(image=image, command=["sleep"], args=["300"])

@dsl.pipeline(name="sleeper")
def pipeline():
    sleeper().set_caching_options(False)

record = RunRecord(run_id, "sleeper", "docker", "local")
stopper = Stopper()
with stopper.handling_signals():
    run_local(pipeline, {}, record, pipeline_root=root, runner="docker", stopper=stopper, log_path=root / "run.log")
print(record.status, record.error)
"""


def test_sigterm_stops_the_step_container_and_records_a_cancelled_run(tmp_path: Path) -> None:
    run_id = f"sleeper-{uuid.uuid4().hex[:8]}"
    label = f"{CONTAINER_LABEL}={run_id}"
    argv = [sys.executable, "-c", RUN, built_image("batch_predict"), str(tmp_path), run_id]
    run = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = docker.from_env()
    try:
        deadline = time.monotonic() + 120
        while not client.containers.list(filters={"label": label}) and time.monotonic() < deadline:
            assert run.poll() is None, run.communicate()
            time.sleep(0.2)
        assert client.containers.list(filters={"label": label}), "the step's container never started"

        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=60)

        assert out.strip().splitlines()[-1] == "CANCELLED cancelled by SIGTERM during step sleeper", out + err
        assert "sleeper: CANCELLED" in err and "could not stop" not in err
        assert client.containers.list(filters={"label": label}) == []  # stopped, not left to sleep on
    finally:
        run.kill()
        for container in client.containers.list(all=True, filters={"label": label}):
            container.remove(force=True)
        client.close()
