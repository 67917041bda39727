"""Run a pipeline on this machine with kfp.local, printing progress and writing a run record.

kfp.local keeps no run record of its own (only each task's executor_output.json), so the runner
hooks kfp.local's per-task entry point for the duration of the run (through sdk_internals) and
records each task's status, duration, attempts and outputs. A task that finishes without reaching
the executor was a cache hit.

With the Docker runner each step runs in its image. kfp.local mounts only the pipeline root into
the containers, so the run also mounts `mounts` (the registry, the feature store, local data
files) at the same paths, and runs the containers as the calling user, who owns those folders;
the images' own non-root user is what Vertex AI runs. The images' ENTRYPOINT (the component CLI)
is reset, since kfp.local passes the KFP executor command as the container command only.

kfp.local prints every step's executor input and logs to stdout; with `log_path` they go to that
file instead, and the terminal shows one line per step; if a step fails, its exception (type,
message, last frames), found in that step's own part of the log (mlops_cli.step_errors).

Steps of the subprocess runner start in sessions of their own, so that Ctrl-C or SIGTERM ends a
step with everything it started (mlops_cli.stopping); the Docker runner's containers carry the run
id as a label, by which they are stopped. The run then ends CANCELLED, with the tasks that
finished and the one that was stopped.
"""

from __future__ import annotations

import bisect
import contextlib
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kfp import dsl, local

from mlops.alerts.secrets import env_references
from mlops.runs import RunRecord, TaskRecord, now
from mlops_cli import warm_runner
from mlops_cli.dag_runner import DagRunner
from mlops_cli.report import progress
from mlops_cli.sdk_internals import (
    concurrent_dags,
    extra_docker_environment,
    extra_docker_volumes,
    local_step_sessions,
    local_task_hooks,
)
from mlops_cli.step_errors import failed_step_report
from mlops_cli.stopping import RunCancelled, Stopper, stop_containers
from mlops_cli.task_output import TaskStreams
from mlops_cli.warm_runner import WarmWorkers

RUNNERS = ("warm", "subprocess", "docker")  # warm: subprocess steps forked from warm workers
CONTAINER_LABEL = "mlops.run_id"  # on the Docker runner's step containers


@contextlib.contextmanager
def recording_tasks(
    record: RunRecord, streams: TaskStreams | None = None, cancelled: Callable[[], bool] = lambda: False
) -> Iterator[dict[str, tuple[int, int]]]:
    """Record every task kfp.local runs into `record.tasks`, and print progress.

    Tasks may run at the same time (mlops_cli.dag_runner), each in its own thread. With `streams`
    (the run's stdout, to its log file), yields each task's (start, end) offsets in the log: its own
    output, where its error is. A task that fails once `cancelled()` is true was stopped: CANCELLED.
    Tasks are recorded in the order they started (side-by-side tasks may end in any order).
    """
    sections: dict[str, tuple[int, int]] = {}
    local = threading.local()  # a task's attempts are counted in the thread that runs it
    lock = threading.Lock()
    started_count = [0]
    numbers: list[int] = []  # each recorded task's start number: the record lists tasks in start order

    def count(component: str) -> None:
        local.attempts = getattr(local, "attempts", 0) + 1

    def around(display: str, component: str, run: Callable[[], tuple[Any, str]]) -> None:
        with lock:
            started_count[0] += 1
            number = started_count[0]
        progress(f"[{number}] {display}: started")
        started, started_at = time.perf_counter(), now()
        local.attempts = 0
        task_output: contextlib.AbstractContextManager[list[tuple[int, int]]] = contextlib.nullcontext([])
        if streams is not None:
            task_output = streams.task()
        with task_output as offsets:
            outputs, status = run()
        if offsets:
            sections[display] = offsets[0]
        ran = local.attempts
        state = status.replace("SUCCESS", "SUCCEEDED").replace("FAILURE", "FAILED")
        if state == "SUCCEEDED" and ran == 0:
            state = "CACHED"
        elif state == "FAILED" and cancelled():  # its process was ended by the stopper
            state = "CANCELLED"
        task = TaskRecord(display, state, started_at, round(time.perf_counter() - started, 3), ran, _jsonable(outputs))
        with lock:
            at = bisect.bisect(numbers, number)
            numbers.insert(at, number)
            record.tasks.insert(at, task)
        progress(f"[{number}] {display}: {state} in {task.duration_seconds:.1f}s")

    with local_task_hooks(around, count):
        yield sections


def docker_mounts(parameters: Mapping[str, Any], create: Sequence[str] = ()) -> list[str]:
    """The host folders a containerized run needs: those of every absolute-path parameter.

    Parameters named in `create` are folders the run writes (stores); they are created first.
    """
    for name in create:
        Path(parameters[name]).mkdir(parents=True, exist_ok=True)
    folders = set()
    for value in parameters.values():
        if isinstance(value, str) and value.startswith("/"):
            path = Path(value)
            folder = path if path.is_dir() else path.parent
            if folder.is_dir() and folder != Path("/"):
                folders.add(str(folder.resolve()))
    return sorted(folders)


def run_local(
    pipeline: Callable[..., Any],
    parameters: Mapping[str, Any],
    record: RunRecord,
    *,
    pipeline_root: Path,
    runner: str = "warm",
    enable_caching: bool = True,
    mounts: Sequence[str] = (),
    log_path: Path | None = None,
    stopper: Stopper | None = None,
    workers: WarmWorkers | None = None,
    max_parallel: int | None = None,
) -> RunRecord:
    """Run `pipeline` with `parameters` to completion; fills and returns `record`.

    With `log_path`, kfp.local's own output goes to that file rather than to stdout. `stopper`
    (its signal handlers installed by the caller) stops the run on SIGINT/SIGTERM: the record is
    then CANCELLED. `runner`: "warm" (kfp.local's SubprocessRunner, each step forked from a warm
    worker: mlops_cli.warm_runner), "subprocess" (kfp.local as it is: each step a new interpreter,
    one at a time in kfp.local's own DAG loop; the reference) or "docker". `workers`: the warm
    runner's, started early by the caller (mlops_cli.warm_runner.warm_workers); by default the run starts its own. With
    "warm" and "docker", independent tasks run at the same time, at most `max_parallel` (default:
    the CPU count) at once (mlops_cli.dag_runner).
    """
    stopper = stopper or Stopper()
    if runner not in RUNNERS:
        raise ValueError(f"unknown local runner {runner!r}; use one of {', '.join(RUNNERS)}")
    pipeline_root.mkdir(parents=True, exist_ok=True)
    if runner != "docker":
        kfp_runner: Any = local.SubprocessRunner(use_venv=False)
    else:
        # The label finds the run's containers to stop them if the run is cancelled.
        label = {CONTAINER_LABEL: record.run_id}
        kfp_runner = local.DockerRunner(entrypoint=[""], user=f"{os.getuid()}:{os.getgid()}", labels=label)
        containers = f"{CONTAINER_LABEL}={record.run_id}"
        stopper.also_stop(f"the containers labelled {containers}", lambda: stop_containers(containers, 5))
    local.init(
        runner=kfp_runner,
        pipeline_root=str(pipeline_root.resolve()),
        enable_caching=enable_caching,
        raise_on_error=False,
    )
    record.parameters = _jsonable(dict(parameters))
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        record.links["log"] = str(log_path)
        progress(f"run {record.run_id}: step logs in {log_path}")
    started = time.perf_counter()
    sections: dict[str, tuple[int, int]] = {}
    try:
        with contextlib.ExitStack() as stack:
            log = stack.enter_context(log_path.open("w", encoding="utf-8")) if log_path is not None else None
            streams = TaskStreams(log) if log is not None else None
            sections = stack.enter_context(recording_tasks(record, streams, lambda: stopper.signum is not None))
            if runner != "subprocess":  # the reference (`--runner kfp-local`) keeps kfp.local's own DAG loop
                stack.enter_context(concurrent_dags(DagRunner(max_parallel or os.cpu_count() or 1)))
            if runner == "docker":
                stack.enter_context(extra_docker_volumes(mounts))
                # A container does not inherit this process's environment: give it the variables
                # the run's `env:` secret references name, read now (never part of the spec).
                names = env_references(parameters)
                stack.enter_context(extra_docker_environment({n: os.environ[n] for n in names if n in os.environ}))
            elif runner == "warm":
                warm = workers or stack.enter_context(warm_runner.warm_workers(True, progress))
                assert warm is not None  # the warm runner's
                stack.enter_context(local_step_sessions(stopper.started, stopper.ended, warm.run))
            else:
                stack.enter_context(local_step_sessions(stopper.started, stopper.ended))
            if streams is not None:
                stack.enter_context(contextlib.redirect_stdout(streams))
            stack.enter_context(warnings.catch_warnings())
            # Resource requests apply on Vertex AI; kfp.local warns once per step that it ignores them.
            warnings.filterwarnings("ignore", message=".*have no effect in the current local runner")
            warnings.filterwarnings("ignore", message=".*custom or non-Python base image")
            pipeline(**parameters)
            stopper.disarm()  # the run is over: a signal now must not cancel it
    except RunCancelled as cancelled:
        record.duration_seconds = round(time.perf_counter() - started, 3)
        record.status = "CANCELLED"
        stopped = [task.name for task in record.tasks if task.status == "CANCELLED"]
        during = f" during step {stopped[-1]}" if stopped else ""
        record.error = f"cancelled by {signal.Signals(cancelled.signum).name}{during}"
        return record
    record.duration_seconds = round(time.perf_counter() - started, 3)
    failed = [task.name for task in record.tasks if task.status == "FAILED"]
    record.status = "FAILED" if failed else "SUCCEEDED"
    if failed:
        record.error = f"failed step(s): {', '.join(failed)}"
        if log_path is not None:
            for name in failed:
                progress(failed_step_report(name, log_path, sections.get(name)))
    return record


def _jsonable(value: Any) -> Any:
    if isinstance(value, dsl.Artifact):
        return {"uri": value.uri, "type": value.schema_title, "metadata": _jsonable(dict(value.metadata))}
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
