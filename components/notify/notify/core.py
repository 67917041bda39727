"""Build and send the end-of-run notification: a structured log line and an optional webhook POST."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from typing import Any

log = logging.getLogger("notify")


class NotifyError(Exception):
    """The webhook URL is invalid. Delivery failures are logged, never raised: see send()."""


@dataclass(frozen=True)
class RunOutcome:
    pipeline: str
    run_id: str
    state: str  # SUCCEEDED, FAILED, CANCELLED
    error_message: str = ""

    @property
    def failed(self) -> bool:
        return self.state != "SUCCEEDED"

    def summary(self) -> str:
        text = f"pipeline {self.pipeline} run {self.run_id}: {self.state}"
        return f"{text}: {self.error_message}" if self.error_message else text


def outcome_from_status(pipeline: str, status: dict[str, Any]) -> RunOutcome:
    """Map KFP's PipelineTaskFinalStatus fields to a RunOutcome."""
    error = status.get("error_message") or status.get("error", {}).get("message", "") or ""
    return RunOutcome(
        pipeline=pipeline,
        run_id=str(status.get("pipeline_job_resource_name") or status.get("pipeline_job_name") or "unknown"),
        state=str(status.get("state") or "UNKNOWN"),
        error_message=str(error),
    )


def send(outcome: RunOutcome, webhook_url: str = "", timeout_seconds: float = 10.0) -> bool:
    """Log the outcome; POST it as JSON to `webhook_url` if one is given. Returns True if delivered.

    A notification must never turn a successful run into a failed one, so delivery problems are
    logged as errors and reported through the return value instead of raised.
    """
    level = logging.ERROR if outcome.failed else logging.INFO
    log.log(level, outcome.summary(), extra={"fields": {"notification": asdict(outcome)}})
    if not webhook_url:
        return False
    if not webhook_url.startswith(("http://", "https://")):
        raise NotifyError(f"webhook URL must start with http:// or https://, got {webhook_url!r}")
    body = json.dumps({"text": outcome.summary(), **asdict(outcome)}).encode()
    request = urllib.request.Request(webhook_url, body, {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout_seconds) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        log.error("could not deliver the notification to %s: %s", webhook_url, error)
        return False
