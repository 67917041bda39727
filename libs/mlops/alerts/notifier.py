"""One notifier, pluggable channels: every alert goes to each channel once per dedup key.

Channels:
- `LogChannel`: one structured log line (JSON on Vertex AI, `mlops.logs`), ERROR for an error alert;
- `FileChannel`: one JSON line appended per alert (a local run's alert history);
- `WebhookChannel`: a Slack-compatible JSON POST (`{"text": ...}`), with a timeout and transient
  failures (network, 429, 5xx) retried (`mlops.retries`); a 4xx is not retried.
In production, Cloud Monitoring's alert policy on the pipelines' logs pages through its notification
channel (terraform/modules/alerting), so the log line is also the production channel.

Dedup: an alert carries a `key` naming the incident (e.g. `drift:churn:3:2026-12-03`). With a
`DedupStore`, a channel that delivered a key does not deliver it again, so one incident is one
message however often it is raised; a channel that failed tries again next time.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from mlops import storage
from mlops.alerts.secrets import SecretError, read_secret
from mlops.retries import retry_transient

log = logging.getLogger("mlops.alerts")
Severity = Literal["info", "warning", "error"]
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class Alert(BaseModel):
    """What happened, once: `key` identifies the incident for dedup."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(min_length=1)
    severity: Severity = "error"
    title: str = Field(min_length=1)
    text: str = ""
    fields: dict[str, str | int | float | bool] = Field(default_factory=dict)

    def message(self) -> str:
        """The alert as one human-readable text (the webhook's `text`)."""
        lines = [f"[{self.severity.upper()}] {self.title}"]
        if self.text:
            lines.append(self.text)
        lines += [f"{name}: {value}" for name, value in self.fields.items()]
        return "\n".join(lines)


class ChannelError(Exception):
    """A channel could not deliver an alert; the message says where and why."""


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


class LogChannel:
    name = "log"

    def send(self, alert: Alert) -> None:
        fields = {"alert": alert.model_dump(mode="json")}
        log.log(_LEVELS[alert.severity], "%s", alert.title, extra={"fields": fields})


class FileChannel:
    """Appends each alert as one JSON line to `path` (one write of a whole line, O_APPEND)."""

    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, alert: Alert) -> None:
        record = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **alert.model_dump(mode="json")}
        line = (json.dumps(record, sort_keys=True) + "\n").encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, line)
            finally:
                os.close(descriptor)
        except OSError as error:
            raise ChannelError(f"{self.path}: cannot append the alert: {error.strerror or error}") from None


class WebhookChannel:
    """POSTs `{"text": alert.message()}` (what Slack's incoming webhooks take) to `url`."""

    name = "webhook"

    def __init__(self, url: str, timeout_seconds: float = 10.0, retries: int = 2) -> None:
        if not url.startswith(("http://", "https://")):
            raise ChannelError("the webhook secret is not an http(s) URL")  # never print the secret
        self.url, self.timeout_seconds, self.retries = url, timeout_seconds, retries

    def send(self, alert: Alert) -> None:
        body = json.dumps({"text": alert.message()}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"}, method="POST")

        def post() -> None:
            with urllib.request.urlopen(request, timeout=self.timeout_seconds):
                pass  # urlopen raises HTTPError for any status >= 400

        try:
            retry_transient(post, what="alert webhook", retries=self.retries, first_delay=1.0)
        except urllib.error.HTTPError as error:
            raise ChannelError(f"the webhook answered HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ChannelError(f"the webhook could not be reached: {reason}") from None
        except (ValueError, http.client.InvalidURL):  # their text would repeat the URL
            raise ChannelError("the webhook secret is not a valid URL") from None
        except http.client.HTTPException as error:  # a malformed answer
            raise ChannelError(f"the webhook's answer could not be read ({type(error).__name__})") from None


def webhook_from_secret(
    reference: str, *, timeout_seconds: float = 10.0, environ: Mapping[str, str] | None = None
) -> WebhookChannel:
    """The webhook channel whose URL the secret `reference` names (env:NAME, secretmanager:...),
    read now; ChannelError (never the URL) when the secret cannot be read or is not a URL."""
    try:
        url = read_secret(reference, environ=environ)
    except SecretError as error:
        raise ChannelError(str(error)) from None
    return WebhookChannel(url, timeout_seconds)


class DedupStore:
    """Which channel delivered which alert key: a JSON file, rewritten atomically."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def delivered(self) -> dict[str, dict[str, str]]:
        if not storage.exists(self.uri):
            return {}
        try:
            document = json.loads(storage.read_text(self.uri))
        except ValueError as error:
            raise ChannelError(f"{self.uri}: not a dedup record ({error}); delete it to start afresh") from None
        return {channel: dict(keys) for channel, keys in document.items()}

    def mark(self, sent: dict[str, dict[str, str]]) -> None:
        storage.write_text(self.uri, json.dumps(sent, indent=1, sort_keys=True) + "\n")


class Notifier:
    """Sends alerts to `channels`; with `dedup`, each channel delivers each key at most once."""

    def __init__(self, channels: Sequence[Channel], dedup: DedupStore | None = None) -> None:
        self.channels, self.dedup = list(channels), dedup

    def notify(self, alert: Alert) -> dict[str, str]:
        """Send `alert`; per channel name: "sent", "duplicate" or "failed: REASON". A failing
        channel never stops the others and never raises: an alert must not fail the caller."""
        try:
            sent = self.dedup.delivered() if self.dedup else {}
        except ChannelError as error:  # better a repeated message than a lost one
            log.error("alert %s: %s; sending without dedup", alert.key, error)
            sent = {}
        results: dict[str, str] = {}
        for channel in self.channels:
            if alert.key in sent.get(channel.name, {}):
                results[channel.name] = "duplicate"
                continue
            try:
                channel.send(alert)
            except ChannelError as error:
                results[channel.name] = f"failed: {error}"
                log.error("alert %s: the %s channel failed: %s", alert.key, channel.name, error)
                continue
            results[channel.name] = "sent"
            sent.setdefault(channel.name, {})[alert.key] = datetime.now(UTC).isoformat(timespec="seconds")
        if self.dedup and "sent" in results.values():
            self.dedup.mark(sent)
        return results
