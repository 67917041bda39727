"""Ctrl-C or SIGTERM during `mlops run` (local runner, warm workers): the step's whole process tree
and the fork server end, the run is recorded as CANCELLED with the steps that finished, nothing is
registered, the exit code is the shell's (130, 143), and the next run of the same config resumes
from the cache.

`mlops run` runs in a real subprocess and gets a real signal once train has started; the test
finds the run's processes itself (through /proc), independently of the code under test.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlops.metadata import MetadataStore
from mlops.registry import open_registry
from mlops.run_journal import record_pending
from mlops.testing.processes import processes_below, running
from mlops_cli.commands import run_pipeline
from mlops_cli.main import main
from mlops_cli.pipelines import load_pipeline
from run_fixtures import PIPELINES, local_settings  # pants: no-infer-dep

FINISHED = ["ingest", "validate", "features"]  # the steps before train, the one stopped


def _files(tmp_path: Path) -> tuple[Path, Path]:
    env = tmp_path / "local.yaml"
    env.write_text(
        "environment: local\n"
        f"storage_root: {tmp_path / 'data'}\n"
        f"metadata_dir: {tmp_path / 'metadata'}\n"
        f"gcp: {{project_id: local-project, pipeline_root: {tmp_path / 'pipeline-root'}}}\n"
    )
    config = tmp_path / "churn.yaml"
    text = (PIPELINES / "churn.yaml").read_text().replace("rows=50000", "rows=3000")
    # Train runs for seconds, so the signal reaches it at work, not about to finish on its own.
    config.write_text(text.replace("n_estimators: 200", "n_estimators: 4000"))
    return env, config


@pytest.mark.parametrize(("signum", "exit_code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_stops_the_step_tree_and_records_a_cancelled_run_that_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], signum: int, exit_code: int
) -> None:
    env, config = _files(tmp_path)
    command = [sys.executable, "-c", "import sys; from mlops_cli.main import main; sys.exit(main())"]
    argv = [*command, "--env", str(env), "run", "--config", str(config)]
    cli = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    lines = []
    assert cli.stderr is not None
    for line in cli.stderr:
        lines.append(line)
        if line.rstrip().endswith("] train: started"):
            break
    else:
        pytest.fail(f"train never started:\n{''.join(lines)}")
    time.sleep(0.5)  # train's process is up
    step_processes = processes_below(cli.pid)
    # The warm runner's fork server and the train step forked from it, in a session of its own.
    assert len(step_processes) >= 2, step_processes
    sent = time.perf_counter()
    cli.send_signal(signum)
    rest = cli.stderr.read()
    cli.wait(timeout=60)
    took = time.perf_counter() - sent
    print(f"{signal.Signals(signum).name} to exit: {took:.2f}s")  # shown if the test fails

    assert cli.returncode == exit_code, "".join(lines) + rest
    assert "warm workers did not start" not in "".join(lines) + rest  # the steps were forked
    assert [pid for pid in step_processes if running(pid)] == []
    last = rest.strip().splitlines()[-1]
    assert last.startswith("mlops: run churn-training-") and "Traceback" not in rest
    name = signal.Signals(signum).name
    assert f"cancelled by {name} during step train; recorded as CANCELLED" in last
    assert "run the same command again to resume after ingest, validate, features (cached)" in last

    settings = local_settings(tmp_path)
    store = MetadataStore(settings.metadata_dir)
    record_pending(settings.metadata_dir, store)  # as `mlops runs list` does first
    (cancelled,) = store.list_runs()
    assert cancelled.status == "CANCELLED" and cancelled.error == f"cancelled by {name} during step train"
    assert [(task.name, task.status) for task in cancelled.tasks] == [
        *((step, "SUCCEEDED") for step in FINISHED),
        ("train", "CANCELLED"),
    ]
    ingest = cancelled.task("ingest")
    assert ingest is not None and Path(ingest.artifact_uri("train_data") or "").is_file()
    assert open_registry(settings.resolved_registry_uri()).list_versions("churn-classifier") == []
    models = tmp_path / "pipeline-root"
    assert not list(models.glob("*/train/model/*"))  # train was stopped, not left to finish
    capsys.readouterr()
    assert main(["--env", str(env), "runs", "list"]) == 0
    (row,) = (line for line in capsys.readouterr().out.splitlines() if line.startswith(cancelled.run_id))
    assert row.split()[1] == "CANCELLED"

    if signum == signal.SIGINT:
        return  # resuming is the same for both signals
    loaded = load_pipeline(config)
    resumed = run_pipeline(loaded.definition, loaded.config, settings, runner="local")
    assert resumed.status == "SUCCEEDED", resumed.error
    statuses = {task.name: task.status for task in resumed.tasks}
    assert [statuses[step] for step in FINISHED] == ["CACHED"] * 3 and statuses["train"] == "SUCCEEDED"
    assert open_registry(settings.resolved_registry_uri()).get("churn-classifier") is not None
    assert list(models.glob("*/train/model/*"))  # where a finished train writes its model
