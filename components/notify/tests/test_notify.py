"""Notify: a real webhook server receives the message; an exit handler runs after a failed step."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from kfp import dsl, local

from mlops.testing.webhook import webhook_receiver
from notify.component import build_component
from notify.core import RunOutcome, outcome_from_status, send


@pytest.fixture()
def webhook() -> Iterator[tuple[str, list[dict]]]:
    with webhook_receiver() as found:
        yield found


def test_failed_run_is_logged_as_error_and_posted(webhook, caplog: pytest.LogCaptureFixture) -> None:
    url, received = webhook
    outcome = RunOutcome("training", "run-1", "FAILED", "validate: 2 violations")
    with caplog.at_level(logging.INFO, logger="mlops.alerts"):
        assert send(outcome, "env:NOTIFY_TEST_WEBHOOK", environ={"NOTIFY_TEST_WEBHOOK": url}) == {
            "log": "sent",
            "webhook": "sent",
        }
    assert received == [
        {"text": "[ERROR] pipeline training run run-1: FAILED: validate: 2 violations\n"
                 "pipeline: training\nrun_id: run-1\nstate: FAILED"}
    ]  # fmt: skip
    assert caplog.records[0].levelno == logging.ERROR


def test_undeliverable_webhook_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    environ = {"HOOK": "http://127.0.0.1:9/nothing-listens"}
    with caplog.at_level(logging.INFO):
        results = send(RunOutcome("p", "r", "SUCCEEDED"), "env:HOOK", timeout_seconds=2, environ=environ)
    assert results["log"] == "sent" and results["webhook"].startswith("failed: the webhook could not be reached")
    assert "nothing-listens" not in caplog.text  # the URL is a secret: never logged


def test_a_missing_secret_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        results = send(RunOutcome("p", "r", "FAILED"), "env:NOTIFY_UNSET_WEBHOOK", environ={})
    assert results["log"] == "sent" and "NOTIFY_UNSET_WEBHOOK is not set" in results["webhook"]
    assert "NOTIFY_UNSET_WEBHOOK is not set" in caplog.text


def test_status_mapping() -> None:
    outcome = outcome_from_status("p", {"state": "SUCCEEDED", "pipeline_job_resource_name": "jobs/1"})
    assert outcome == RunOutcome("p", "jobs/1", "SUCCEEDED", "")
    assert not outcome.failed


@dsl.component
def fail_on_purpose(message: str) -> None:
    raise RuntimeError(message)


def test_exit_handler_reports_a_failed_step(tmp_path: Path, webhook, monkeypatch: pytest.MonkeyPatch) -> None:
    url, received = webhook
    # The step reads the URL at run time from the variable the reference names (its process inherits it).
    monkeypatch.setenv("NOTIFY_TEST_WEBHOOK", url)
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path), raise_on_error=False)
    notify_op = build_component()

    @dsl.pipeline(name="failing")
    def failing(webhook_secret: str) -> None:
        with dsl.ExitHandler(notify_op(pipeline_name="failing", webhook_secret=webhook_secret)):
            fail_on_purpose(message="boom")

    failing(webhook_secret="env:NOTIFY_TEST_WEBHOOK")
    assert len(received) == 1
    assert received[0]["text"].startswith("[ERROR] pipeline failing run ") and "state: FAILED" in received[0]["text"]
