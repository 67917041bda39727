"""Alerts: a real webhook server on this machine, real files, the notifier's dedup."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlops.alerts.notifier import (
    Alert,
    Channel,
    ChannelError,
    DedupStore,
    FileChannel,
    LogChannel,
    Notifier,
    WebhookChannel,
)

ALERT = Alert(key="drift:churn:3:2026-12-03", title="drift on churn:3", text="2 features", fields={"tenure": 0.41})


@dataclass
class Webhook:
    url: str
    answers: list[int]  # the status of each next request; 200 once they run out
    received: list[dict] = field(default_factory=list)


@pytest.fixture()
def webhook() -> Iterator[Webhook]:
    hook = Webhook("", [])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # - http.server's naming
            hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(hook.answers.pop(0) if hook.answers else 200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/services/T/B/X"
    yield hook
    server.shutdown()


def test_webhook_gets_slack_compatible_text(webhook: Webhook) -> None:
    WebhookChannel(webhook.url).send(ALERT)
    assert webhook.received == [{"text": "[ERROR] drift on churn:3\n2 features\ntenure: 0.41"}]


def test_webhook_retries_a_503_then_delivers(webhook: Webhook) -> None:
    webhook.answers = [503]
    WebhookChannel(webhook.url, retries=1).send(ALERT)
    assert len(webhook.received) == 2


def test_webhook_does_not_retry_a_4xx(webhook: Webhook) -> None:
    webhook.answers = [400, 400, 400]
    with pytest.raises(ChannelError, match="HTTP 400"):
        WebhookChannel(webhook.url, retries=2).send(ALERT)
    assert len(webhook.received) == 1


def test_unreachable_webhook_is_a_channel_error_that_hides_the_url() -> None:
    with pytest.raises(ChannelError, match="could not be reached") as raised:
        WebhookChannel("http://127.0.0.1:9/secret-token", timeout_seconds=2, retries=0).send(ALERT)
    assert "secret-token" not in str(raised.value)
    with pytest.raises(ChannelError, match="not an http"):
        WebhookChannel("hooks.example/secret-token")
    with pytest.raises(ChannelError, match="not a valid URL") as raised:
        WebhookChannel("http://hooks.example:notaport/secret-token").send(ALERT)
    assert "secret-token" not in str(raised.value)


def test_one_incident_is_one_message(webhook: Webhook, tmp_path: Path) -> None:
    notifier = Notifier([WebhookChannel(webhook.url)], DedupStore(str(tmp_path / "sent.json")))
    assert notifier.notify(ALERT) == {"webhook": "sent"}
    assert notifier.notify(ALERT) == {"webhook": "duplicate"}
    assert notifier.notify(ALERT.model_copy(update={"key": "drift:churn:3:2026-12-04"})) == {"webhook": "sent"}
    assert len(webhook.received) == 2


def test_a_failed_channel_sends_next_time_and_does_not_stop_the_others(webhook: Webhook, tmp_path: Path) -> None:
    history = tmp_path / "alerts/alerts.jsonl"
    channels: list[Channel] = [WebhookChannel(webhook.url, retries=0), FileChannel(history)]
    notifier = Notifier(channels, DedupStore(str(tmp_path / "sent.json")))
    webhook.answers = [500]
    first = notifier.notify(ALERT)
    assert first["webhook"].startswith("failed: the webhook answered HTTP 500") and first["file"] == "sent"
    assert notifier.notify(ALERT) == {"webhook": "sent", "file": "duplicate"}
    assert len(webhook.received) == 2
    (line,) = history.read_text().splitlines()
    assert json.loads(line)["key"] == ALERT.key and json.loads(line)["fields"] == {"tenure": 0.41}


def test_file_channel_appends_whole_lines_and_names_an_unwritable_path(tmp_path: Path) -> None:
    channel = FileChannel(tmp_path / "alerts.jsonl")
    channel.send(ALERT)
    channel.send(ALERT.model_copy(update={"severity": "warning"}))
    assert [json.loads(line)["severity"] for line in (tmp_path / "alerts.jsonl").read_text().splitlines()] == [
        "error",
        "warning",
    ]
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ChannelError, match="a-file"):
        FileChannel(tmp_path / "a-file" / "alerts.jsonl").send(ALERT)


def test_log_channel_logs_at_the_alert_severity_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="mlops.alerts"):
        LogChannel().send(ALERT)
        LogChannel().send(ALERT.model_copy(update={"severity": "info"}))
    assert [record.levelno for record in caplog.records] == [logging.ERROR, logging.INFO]
    assert caplog.records[0].fields["alert"]["key"] == ALERT.key  # type: ignore[attr-defined]


def test_a_corrupt_dedup_record_sends_rather_than_loses_the_alert(webhook: Webhook, tmp_path: Path) -> None:
    record = tmp_path / "sent.json"
    record.write_text("{not json")
    assert Notifier([WebhookChannel(webhook.url)], DedupStore(str(record))).notify(ALERT) == {"webhook": "sent"}
    assert json.loads(record.read_text())["webhook"].keys() == {ALERT.key}


def test_alert_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError, match="key"):
        Alert(key="", title="t")
