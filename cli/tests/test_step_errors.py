"""Finding a failed step's exception in its part of the run log (mlops_cli.step_errors)."""

from pathlib import Path

from mlops_cli.step_errors import failed_step_report, step_error

TRAIN = """\
03:17:49.094 - INFO - Executing task 'train'
03:17:49.094 - INFO - Streamed logs:

    [KFP Executor 2026-12-03 03:17:49,120 INFO]: Got executor_input:
    {"inputs": {}}
    Traceback (most recent call last):
      File "<frozen runpy>", line 198, in _run_module_as_main
      File "/venv/kfp/dsl/executor.py", line 453, in execute
        result = self.func(**func_kwargs)
                 ^^^^^^^^^^^^^^^^^^^^^^^^
      File "/app/train/core.py", line 93, in train_model
        spec.validate()
      File "/app/train/core.py", line 68, in normalized_hyperparameters
        raise TrainError(str(error)) from None
    train.core.TrainError: unknown lightgbm hyperparameter(s) ['leaves']

03:17:51.752 - ERROR - Task 'train' finished with status FAILURE
"""
NOTIFY = """\
03:17:51.754 - INFO - Executing task 'notify'
    [KFP Executor 2026-12-03 03:17:51,820 INFO]: Got executor_input:
    {"inputs": {"parameterValues": {"status": {"state": "FAILED"}}}}
03:17:51.872 - INFO - Task 'notify' finished with status SUCCESS
"""


def test_the_exception_and_its_innermost_frames_are_found() -> None:
    found = step_error(TRAIN, frames=2)
    assert found == (
        "train.core.TrainError: unknown lightgbm hyperparameter(s) ['leaves']\n"
        '  File "/app/train/core.py", line 93, in train_model\n'
        "    spec.validate()\n"
        '  File "/app/train/core.py", line 68, in normalized_hyperparameters\n'
        "    raise TrainError(str(error)) from None"
    )
    assert step_error(NOTIFY) is None
    # Without a blank line after the message, the runner's next log line is not part of it.
    no_blank = step_error(TRAIN.replace("['leaves']\n\n", "['leaves']\n"))
    assert no_blank is not None and no_blank.splitlines()[0].endswith("['leaves']")


def test_the_report_reads_the_failed_steps_section_not_the_end_of_the_log(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text("ingest ok\n" + TRAIN + NOTIFY)
    start = len("ingest ok\n")
    report = failed_step_report("train", log, (start, start + len(TRAIN)))
    assert report.startswith("step train failed: train.core.TrainError: unknown lightgbm hyperparameter(s)")
    assert report.endswith(f"full log: {log} (from line 2)") and "executor_input" not in report


def test_a_step_without_a_traceback_shows_the_end_of_its_own_output(tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    section = "03:00 - INFO - Executing task 'train'\n    Killed\n"
    section += "03:01 - ERROR - Task 'train' finished with status FAILURE\n"
    log.write_text(section + NOTIFY)
    report = failed_step_report("train", log, (0, len(section)))
    assert report.startswith("step train failed without a Python traceback; the end of its output:\n")
    assert "    Killed" in report and "notify" not in report
