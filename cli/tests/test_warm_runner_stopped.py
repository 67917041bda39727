"""SIGTERM during a run on the warm runner ends the forked step, what the step started, and the
fork server: nothing of the run is left running. A real run in a real subprocess gets a real signal;
the test finds the run's processes itself (through /proc).
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

from mlops.testing.processes import processes_below, running

_STOPPED_RUN = """
import sys
from pathlib import Path
from kfp import dsl
from mlops.runs import RunRecord
from mlops_cli.local_runner import run_local
from mlops_cli.stopping import RunCancelled, Stopper

@dsl.component(base_image="python:3.11", install_kfp_package=False)
def waits(pids: str) -> None:
    import os, subprocess, time
    child = subprocess.Popen(["sleep", "300"])
    with open(pids, "w") as out:
        out.write(f"{os.getpid()} {child.pid}")
    time.sleep(300)

@dsl.pipeline
def stopped(pids: str) -> None:
    waits(pids=pids)

stopper = Stopper(grace_seconds=2)
record = RunRecord("stopped", "stopped", "warm", "local")
with stopper.handling_signals():
    try:
        run_local(stopped, {"pids": sys.argv[1]}, record, pipeline_root=Path(sys.argv[2]), stopper=stopper)
    except RunCancelled:
        pass
print(record.status, [(task.name, task.status) for task in record.tasks])
"""


_RUN_FILE = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def test_sigterm_ends_a_forked_step_with_its_children_and_the_server(tmp_path: Path) -> None:
    pids, script = tmp_path / "pids", tmp_path / "stopped_run.py"
    script.write_text(_STOPPED_RUN)  # a file: kfp reads the component's source from it
    driver = subprocess.Popen(
        # Through -c, as test_run_cancelled starts the CLI: the test's own sys.path then applies.
        [sys.executable, "-c", _RUN_FILE, str(script), str(pids), str(tmp_path / "root")],
        stdout=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (pids.exists() and len(pids.read_text().split()) == 2):
        assert time.monotonic() < deadline and driver.poll() is None
        time.sleep(0.1)
    step, child = (int(pid) for pid in pids.read_text().split())
    below = processes_below(driver.pid)
    assert step in below and child in below  # forked under the server, which the driver started
    driver.send_signal(signal.SIGTERM)
    out, _ = driver.communicate(timeout=60)

    assert out.strip().splitlines()[-1].strip() == "CANCELLED [('waits', 'CANCELLED')]"  # after kfp.local's output
    assert [pid for pid in below if running(pid)] == []  # the step, its sleep and the server
