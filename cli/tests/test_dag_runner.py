"""The local runner's DAG loop (mlops_cli.dag_runner) on real kfp.local runs of small pipelines:
independent steps at the same time, one start order, a failure stopping only what depends on it
(as on Vertex AI), the exit handler after everything, and each step's output kept whole in the log.

Overlap is read from the steps' own start and end times, not from the run's duration. No
`from __future__ import annotations`: KFP reads the components' real annotations.
"""

import json
from pathlib import Path
from typing import Any

from kfp import dsl

from mlops.runs import RunRecord
from mlops_cli.local_runner import run_local


@dsl.component(install_kfp_package=False)
def stamp(name: str, seconds: float, folder: str, lines: int = 0) -> str:
    """Sleep `seconds`, printing `lines` lines, and write when it started and ended."""
    import json
    import os
    import time

    started = time.time()
    for i in range(lines):
        print(f"{name} line {i}", flush=True)
        time.sleep(seconds / max(lines, 1))
    if not lines:
        time.sleep(seconds)
    with open(os.path.join(folder, f"{name}.json"), "w") as file:
        json.dump({"start": started, "end": time.time()}, file)
    return name


@dsl.component(install_kfp_package=False)
def fail(message: str) -> str:
    raise ValueError(message)


@dsl.component(install_kfp_package=False)
def final(status: dsl.PipelineTaskFinalStatus, folder: str) -> str:
    import os

    with open(os.path.join(folder, "final.txt"), "w") as file:
        file.write(status.state)
    return status.state


def named(task: Any, name: str) -> Any:
    return task.set_display_name(name).set_caching_options(False)


@dsl.pipeline(name="side-by-side")
def side_by_side(folder: str, lines: int = 0) -> None:
    left = named(stamp(name="left", seconds=2.0, folder=folder, lines=lines), "left")
    right = named(stamp(name="right", seconds=2.0, folder=folder, lines=lines), "right")
    named(stamp(name="join", seconds=0.0, folder=folder), "join").after(left, right)


@dsl.pipeline(name="one-branch-fails")
def one_branch_fails(folder: str) -> None:
    with dsl.ExitHandler(named(final(folder=folder), "final")):
        broken = named(fail(message="left branch is broken"), "broken")
        named(stamp(name="after-broken", seconds=0.0, folder=folder), "after-broken").after(broken)
        healthy = named(stamp(name="healthy", seconds=0.5, folder=folder), "healthy")
        named(stamp(name="after-healthy", seconds=0.0, folder=folder), "after-healthy").after(healthy)


def run(pipeline: Any, folder: Path, max_parallel: int, **parameters: Any) -> tuple[RunRecord, dict[str, dict]]:
    stamps = folder / "stamps"
    stamps.mkdir(parents=True)
    record = RunRecord(f"dag-{max_parallel}", "test", "local", "local")
    log = folder / "run.log"
    run_local(pipeline, {"folder": str(stamps), **parameters}, record, pipeline_root=folder / "root",
              log_path=log, max_parallel=max_parallel)  # fmt: skip
    times = {path.stem: json.loads(path.read_text()) for path in stamps.glob("*.json")}
    return record, times


def overlap(a: dict, b: dict) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def test_independent_steps_run_at_the_same_time_up_to_the_limit(tmp_path: Path) -> None:
    record, times = run(side_by_side, tmp_path / "two", max_parallel=2)
    assert record.status == "SUCCEEDED", record.error
    assert overlap(times["left"], times["right"])
    assert times["join"]["start"] >= max(times["left"]["end"], times["right"]["end"])  # after both

    record, times = run(side_by_side, tmp_path / "one", max_parallel=1)
    assert record.status == "SUCCEEDED", record.error
    assert not overlap(times["left"], times["right"])
    # One at a time, ready steps start in name order: the same path on every run.
    assert times["left"]["end"] <= times["right"]["start"]
    assert [task.name for task in record.tasks] == ["left", "right", "join"]


def test_a_failure_stops_only_what_depends_on_it_and_the_exit_handler_runs_last(tmp_path: Path) -> None:
    record, times = run(one_branch_fails, tmp_path, max_parallel=1)
    statuses = {task.name: task.status for task in record.tasks}
    assert statuses == {"broken": "FAILED", "healthy": "SUCCEEDED", "after-healthy": "SUCCEEDED", "final": "SUCCEEDED"}
    assert "after-broken" not in times and {"healthy", "after-healthy"} <= set(times)
    assert record.status == "FAILED" and record.error == "failed step(s): broken"
    assert (tmp_path / "stamps" / "final.txt").read_text() == "FAILED"  # it saw the run's final state
    assert record.tasks[-1].name == "final"


def test_each_steps_output_is_whole_in_the_log_while_steps_run_side_by_side(tmp_path: Path) -> None:
    record, times = run(side_by_side, tmp_path, max_parallel=2, lines=20)
    assert record.status == "SUCCEEDED" and overlap(times["left"], times["right"])
    lines = [line for line in (tmp_path / "run.log").read_text().splitlines() if " line " in line]
    assert len(lines) == 40
    owners = [line.split()[0] for line in lines]
    assert owners in (["left"] * 20 + ["right"] * 20, ["right"] * 20 + ["left"] * 20), owners
