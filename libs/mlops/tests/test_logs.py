from __future__ import annotations

import io
import json
import logging

import pytest

from mlops.logs import configure_logging, configure_step_logging, step_logging_env


def test_records_are_cloud_logging_json_lines() -> None:
    stream = io.StringIO()
    configure_logging("INFO", labels={"component": "ingest"}, stream=stream)
    log = logging.getLogger("test")
    log.debug("hidden")
    log.warning("rows dropped: %d", 3, extra={"fields": {"rows_dropped": 3}, "labels": {"run_id": "r1"}})
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["severity"] == "WARNING" and entry["message"] == "rows dropped: 3"
    assert entry["logging.googleapis.com/labels"] == {"component": "ingest", "run_id": "r1"}
    assert entry["rows_dropped"] == 3
    assert entry["logging.googleapis.com/sourceLocation"]["function"] == "test_records_are_cloud_logging_json_lines"


def test_exceptions_keep_their_stack_trace_in_the_message() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("test").exception("step failed")
    entry = json.loads(stream.getvalue())
    assert entry["severity"] == "ERROR"
    assert entry["message"].startswith("step failed\nTraceback") and "ValueError: boom" in entry["message"]


def test_text_mode_is_for_people() -> None:
    stream = io.StringIO()
    configure_logging(json_output=False, stream=stream)
    logging.getLogger("people").info("hello")
    assert stream.getvalue().rstrip().endswith("INFO    people: hello")


def test_a_step_logs_json_when_its_task_environment_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    environ = step_logging_env("WARNING", json_output=True, labels={"env": "dev"})
    configure_step_logging("train", environ)
    logging.getLogger("train").info("not at WARNING")
    logging.getLogger("train").warning("fitted")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["message"] == "fitted"
    assert entry["logging.googleapis.com/labels"] == {"env": "dev", "component": "train"}


def test_a_step_logs_text_without_that_environment(capsys: pytest.CaptureFixture[str]) -> None:
    configure_step_logging("train", {})
    logging.getLogger("train").info("fitted")
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO    train: fitted") and not line.startswith("{")


def test_a_malformed_step_environment_falls_back_to_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    configure_step_logging("train", {"MLOPS_LOG_FORMAT": "json", "MLOPS_LOG_LEVEL": "LOUD", "MLOPS_LOG_LABELS": "["})
    logging.getLogger("train").info("fitted")
    entry = json.loads(capsys.readouterr().err)
    assert entry["severity"] == "INFO" and entry["logging.googleapis.com/labels"] == {"component": "train"}
