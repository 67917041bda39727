"""The warm runner (steps forked from a fork server) against kfp.local's own subprocess start: the
same pipelines give the same statuses and outputs; a step that crashes fails only its own task;
the step sees its environment and working directory; the server holds no extra threads when it forks.

Everything runs for real: kfp.local, the fork server, the forked executors.
"""

# No `from __future__ import annotations`: kfp reads the components' annotations as types.

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from mlops.runs import RunRecord
from mlops.testing.processes import running
from mlops_cli.local_runner import run_local
from mlops_cli.sdk_internals import executor_program
from mlops_cli.warm_runner import StepProcess, WarmWorkers

RUNNERS = ("warm", "subprocess")


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def where(label: str, table: dsl.Output[dsl.Dataset]) -> str:
    import os
    import sys

    fds = len(os.listdir("/proc/self/fd"))  # nothing of the server's (sockets, pipes) is left open
    # A step runs with the runtime SDK only (kfp imported with _KFP_RUNTIME set: no client, no decorators).
    sdk = "compile-time kfp" if "kfp.client" in sys.modules or hasattr(dsl, "component") else "runtime kfp"
    with open(table.path, "w") as out:
        out.write(f"{label},{os.getcwd()},{os.environ.get('STEP_SETTING')},{os.environ.get('_KFP_RUNTIME')},{sdk},{fds}")
    print(f"from {label}: argv[0]={sys.argv[0]}")
    return f"{label} in {os.path.basename(os.getcwd())}"


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def double(table: dsl.Input[dsl.Dataset], numbers: list) -> dict:
    with open(table.path) as source:
        fields = source.read().split(",")
    return {"fields": fields, "doubled": [2 * n for n in numbers]}


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def crash(how: str) -> str:
    import ctypes
    import os
    import sys

    if how == "exit3":
        os._exit(3)
    if how == "segfault":
        ctypes.string_at(0)
    if how == "sys.exit":
        sys.exit("given up")
    raise ValueError(f"step failed on purpose: {how}")


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def after(status: dsl.PipelineTaskFinalStatus) -> str:
    print(f"the run ended {status.state}")
    return status.state


@dsl.pipeline
def steps(label: str) -> dict:
    first = where(label=label).set_env_variable("STEP_SETTING", "from the task")
    return double(table=first.outputs["table"], numbers=[1, 2, 3]).output


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def overlap(n: int, marks: str) -> int:
    import os
    import time

    open(os.path.join(marks, f"{n}.started"), "w").close()
    deadline = time.monotonic() + 20  # kfp.local runs two iterations at once: wait for the other
    while len(os.listdir(marks)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    return n * 10 if len(os.listdir(marks)) == 2 else -n  # -n: ran alone


@dsl.pipeline
def fanned_out(marks: str) -> None:
    with dsl.ParallelFor([1, 2]) as n:
        overlap(n=n, marks=marks)


@dsl.pipeline
def crashing(how: str) -> None:
    with dsl.ExitHandler(after()):
        ok = where(label="before")
        crash(how=how).after(ok)


def _run(pipeline: Any, parameters: dict[str, Any], root: Path, runner: str) -> tuple[RunRecord, str]:
    record = RunRecord(f"run-{runner}", "test", runner, "local")
    log = root / f"{runner}.log"
    progress = io.StringIO()
    with contextlib.redirect_stderr(progress):
        run_local(pipeline, parameters, record, pipeline_root=root / runner, runner=runner, log_path=log)
    sys.stderr.write(progress.getvalue())
    # Else the comparison would be of two subprocess runs: the warm runner falls back with a warning.
    assert "warm worker" not in progress.getvalue()
    return record, log.read_text()


def _content(record: RunRecord) -> dict[str, Any]:
    """Each task's status and outputs, artifacts by content (their URIs name the pipeline root)."""
    found = {}
    for task in record.tasks:
        outputs = {}
        for name, value in task.outputs.items():
            outputs[name] = Path(value["uri"]).read_text() if isinstance(value, dict) and "uri" in value else value
        found[task.name] = (task.status, outputs)
    return found


def test_both_runners_give_the_same_outputs_env_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workdir = tmp_path / "work here"
    workdir.mkdir()
    # The test's import path holds paths relative to where it started: the server needs them whole.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(os.path.abspath(path) for path in sys.path))
    monkeypatch.chdir(workdir)
    results = {runner: _run(steps, {"label": "x"}, tmp_path, runner) for runner in RUNNERS}

    warm, reference = (_content(results[runner][0]) for runner in RUNNERS)
    assert warm == reference
    status, outputs = warm["where"]
    assert (status, outputs["Output"]) == ("SUCCEEDED", "x in work here")
    assert outputs["table"].startswith(f"x,{workdir},from the task,true,runtime kfp,")
    assert warm["double"][1]["Output"]["doubled"] == [2.0, 4.0, 6.0]  # kfp.local's floats, in both
    for _, log in results.values():
        assert "argv[0]=" in log and "kfp/dsl/executor_main.py" in log and "RuntimeWarning" not in log


@pytest.mark.parametrize("how", ["exit3", "segfault", "sys.exit", "raise"])
def test_a_crashing_step_fails_only_its_task(tmp_path: Path, how: str) -> None:
    results = {runner: _run(crashing, {"how": how}, tmp_path, runner) for runner in RUNNERS}

    for runner, (record, log) in results.items():
        statuses = [(task.name, task.status) for task in record.tasks]
        # The exit handler runs after the crash: with the warm runner, in a child of the same server.
        assert statuses == [("where", "SUCCEEDED"), ("crash", "FAILED"), ("after", "SUCCEEDED")], runner
        assert record.status == "FAILED" and record.error == "failed step(s): crash"
        assert "the run ended FAILED" in log
    warm_log = results["warm"][1]
    if how == "raise":
        assert "ValueError: step failed on purpose: raise" in warm_log
    if how == "sys.exit":
        assert "given up" in warm_log


def _command(source: str, function: str, output: Path) -> list[str]:
    executor_input = {"inputs": {}, "outputs": {"outputFile": str(output)}}
    return ["sh", "-ec", executor_program(), source, "--executor_input", json.dumps(executor_input),
            "--function_to_execute", function]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "expected"),
    [("os._exit(3)", 3), ("sys.exit(5)", 5), ("raise KeyError('k')", 1), ("os.kill(os.getpid(), 11)", -11)],
)
def test_the_exit_code_is_the_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, expected: int
) -> None:
    source = f"import os\nimport sys\n\ndef step():\n    print('step ran', flush=True)\n    {body}\n"
    seen: list[StepProcess] = []
    workers = WarmWorkers(executor_program(), print).start()
    try:
        code = workers.run(_command(source, "step", tmp_path / "out.json"), dict(os.environ), seen.append, print)
    finally:
        workers.close()
    assert code == expected
    assert "step ran" in capsys.readouterr().out
    reference = subprocess.run(_command(source, "step", tmp_path / "ref.json"), capture_output=True, text=True)
    assert reference.returncode == (expected if expected > 0 else 128 - expected)  # sh reports a signal as 128+N
    assert len(seen) == 1 and seen[0].pid != os.getpid()


def test_a_command_not_of_kfps_form_or_with_import_time_settings_is_left_to_a_subprocess(tmp_path: Path) -> None:
    workers = WarmWorkers(executor_program(), print)  # not started: these never reach it
    command = _command("def step():\n    pass\n", "step", tmp_path / "out.json")
    assert workers.eligible(command, dict(os.environ))
    pip_first = ["sh", "-c", "pip install x", *command]
    assert workers.run(pip_first, dict(os.environ), print, print) is None
    assert workers.run(command, {**os.environ, "OMP_NUM_THREADS": "1"}, print, print) is None
    assert workers.run(command, {**os.environ, "PYTHONPATH": "/elsewhere"}, print, print) is None
    workers.close()


def _threads_of_a_successor(base: str, heavy: str) -> int:
    """OS threads of a process made as the server's successor is: a fresh interpreter imports
    `base` and forks; the child imports `heavy`, forks once (as for a step) and counts its threads."""
    count = "if os.fork() == 0:\n        os._exit(0)\n    os.wait()\n    print(len(os.listdir('/proc/self/task')))"
    count += "\n    sys.stdout.flush()"
    code = f"import os, sys, {base}\nif os.fork() == 0:\n    import {heavy}\n    {count}\n    os._exit(0)\nos.wait()"
    return int(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)


def test_the_server_forks_with_no_threads_but_the_fork_safe_native_pools(tmp_path: Path) -> None:
    command = _command("def step():\n    pass\n", "step", tmp_path / "out.json")
    seen: list[StepProcess] = []
    workers = WarmWorkers(executor_program(), print).start()
    try:
        deadline = time.monotonic() + 120
        while not seen or seen[-1].forked_from["pending"]:  # until every module is imported
            assert time.monotonic() < deadline, seen[-1].forked_from
            assert workers.run(command, dict(os.environ), seen.append, print) == 0
        server = workers.ready["pid"] if workers.ready else None
        fds = [os.readlink(fd) for fd in Path(f"/proc/{server}/fd").iterdir()]
    finally:
        workers.close()
    # numpy's and scipy's OpenBLAS and pyarrow's jemalloc start threads at import and handle fork
    # themselves (OpenBLAS stops its pool before a fork); an OpenMP team, a gRPC channel or a
    # Python thread would add to them.
    assert all(step.forked_from["python_threads"] == 1 for step in seen)
    reference = _threads_of_a_successor("numpy, pyarrow", "scipy.linalg, sklearn.ensemble, lightgbm")
    assert seen[-1].forked_from["os_threads"] == reference, (seen[-1].forked_from, reference)
    files = [fd for fd in fds if fd.startswith("/") and not fd.startswith("/dev/")]
    assert [Path(fd).name for fd in files] == ["server.log"]  # no database or store is open



def test_no_step_waits_for_the_heavy_imports_and_the_successor_ends_with_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A "heavy" module whose import lasts until the test lets it finish.
    modules, opened = tmp_path / "modules", tmp_path / "opened"
    modules.mkdir()
    wait = f"while not os.path.exists({str(opened)!r}):\n    time.sleep(0.02)\n"
    (modules / "gated.py").write_text(f"import os, time\n{wait}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(modules), *map(os.path.abspath, sys.path)]))
    source = "import os\nimport sys\n\ndef step():\n    print('step:', 'gated' in sys.modules, os.getppid())\n"
    command = _command(source, "step", tmp_path / "out.json")
    seen: list[StepProcess] = []
    workers = WarmWorkers(executor_program(), print, preload=(("kfp.dsl.executor_main",), ("gated",))).start()
    # Were a request to wait for the import in progress, it would wait for this.
    release = threading.Timer(60, opened.touch)
    release.start()
    try:
        assert workers.run(command, dict(os.environ), seen.append, lambda _: None) == 0
        first = capsys.readouterr().out
        opened.touch()
        deadline = time.monotonic() + 60
        while not seen[-1].forked_from["successor"]:  # until the successor has taken over
            assert time.monotonic() < deadline, seen[-1].forked_from
            assert workers.run(command, dict(os.environ), seen.append, lambda _: None) == 0
        last = [line for line in capsys.readouterr().out.splitlines() if line.startswith("step:")][-1].split()[1:]
    finally:
        release.cancel()
        workers.close()
    # Forked by the server, at once: the heavy module (and maybe the base one) still to import.
    assert "step: False" in first and not seen[0].forked_from["successor"] and seen[0].forked_from["pending"] >= 1
    assert last[0] == "True" and seen[-1].forked_from["pending"] == 0
    successor = int(last[1])  # the step's parent
    assert workers.ready is not None and successor != workers.ready["pid"]
    assert not running(successor)  # ended by the server, which the close waited for


def test_a_successor_that_dies_leaves_the_server_serving_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = _command("import os\n\ndef step():\n    print('step:', os.getppid())\n", "step", tmp_path / "o.json")
    seen: list[StepProcess] = []

    def parent_of_a_new_step() -> int:
        assert workers.run(command, dict(os.environ), seen.append, lambda _: None) == 0
        return int([line for line in capsys.readouterr().out.splitlines() if line.startswith("step:")][-1].split()[1])

    workers = WarmWorkers(executor_program(), print, preload=(("kfp.dsl.executor_main",), ("json",))).start()
    try:
        deadline = time.monotonic() + 60
        successor = parent_of_a_new_step()
        while not seen[-1].forked_from["successor"]:  # until the successor has taken over
            assert time.monotonic() < deadline, seen[-1].forked_from
            successor = parent_of_a_new_step()
        os.kill(successor, signal.SIGKILL)  # as the kernel's OOM killer might
        parent = parent_of_a_new_step()
    finally:
        workers.close()
    assert workers.ready is not None and parent == workers.ready["pid"] != successor
    assert not seen[-1].forked_from["successor"]


def test_kfp_locals_parallel_iterations_are_forked_side_by_side(tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    record, _ = _run(fanned_out, {"marks": str(marks)}, tmp_path, "warm")
    assert record.status == "SUCCEEDED", record.error
    # Each saw the other start: the server forked the second while the first ran.
    assert sorted(task.outputs["Output"] for task in record.tasks if task.outputs) == [10, 20]


def test_a_server_gone_mid_run_leaves_the_next_steps_to_subprocesses(tmp_path: Path) -> None:
    warnings: list[str] = []
    workers = WarmWorkers(executor_program(), warnings.append).start()
    command = _command("def step():\n    pass\n", "step", tmp_path / "out.json")
    try:
        assert workers.run(command, dict(os.environ), print, print) == 0
        assert workers.server is not None
        workers.server.kill()  # as if the kernel's OOM killer had chosen it
        workers.server.wait()
        assert workers.run(command, dict(os.environ), print, print) is None
        assert workers.run(command, dict(os.environ), print, print) is None  # and stays so, warned once
    finally:
        workers.close()
    assert len(warnings) == 1 and warnings[0].startswith("warm worker unusable (")
