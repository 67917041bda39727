"""Notify: a real webhook server receives the message; an exit handler runs after a failed step."""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from kfp import dsl, local

from notify.component import build_component
from notify.core import NotifyError, RunOutcome, outcome_from_status, send


@pytest.fixture()
def webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # - http.server's naming
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()


def test_failed_run_is_logged_as_error_and_posted(webhook, caplog: pytest.LogCaptureFixture) -> None:
    url, received = webhook
    outcome = RunOutcome("training", "run-1", "FAILED", "validate: 2 violations")
    with caplog.at_level(logging.INFO, logger="notify"):
        assert send(outcome, url) is True
    assert received == [{"text": "pipeline training run run-1: FAILED: validate: 2 violations", **outcome.__dict__}]
    assert caplog.records[0].levelno == logging.ERROR


def test_undeliverable_webhook_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="notify"):
        assert send(RunOutcome("p", "r", "SUCCEEDED"), "http://127.0.0.1:9/nothing-listens", 2) is False
    assert "could not deliver the notification" in caplog.text


def test_bad_webhook_url_is_named() -> None:
    with pytest.raises(NotifyError, match="ftp://x"):
        send(RunOutcome("p", "r", "SUCCEEDED"), "ftp://x")


def test_status_mapping() -> None:
    outcome = outcome_from_status("p", {"state": "SUCCEEDED", "pipeline_job_resource_name": "jobs/1"})
    assert outcome == RunOutcome("p", "jobs/1", "SUCCEEDED", "")
    assert not outcome.failed


@dsl.component
def fail_on_purpose(message: str) -> None:
    raise RuntimeError(message)


def test_exit_handler_reports_a_failed_step(tmp_path: Path, webhook) -> None:
    url, received = webhook
    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path), raise_on_error=False)
    notify_op = build_component()

    @dsl.pipeline(name="failing")
    def failing(webhook_url: str) -> None:
        with dsl.ExitHandler(notify_op(pipeline_name="failing", webhook_url=webhook_url)):
            fail_on_purpose(message="boom")

    failing(webhook_url=url)
    assert len(received) == 1
    assert received[0]["state"] == "FAILED" and received[0]["pipeline"] == "failing"
