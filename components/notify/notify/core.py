"""Build and send the end-of-run notification through mlops.alerts: a structured log line, and a
Slack-compatible webhook when a secret reference names one (never the URL itself: docs/monitoring.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlops.alerts.notifier import Alert, Channel, ChannelError, LogChannel, Notifier, webhook_from_secret

log = logging.getLogger("notify")


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

    def alert(self) -> Alert:
        """The run's end as an alert; its key is the run, so a re-sent exit handler is one message."""
        return Alert(
            key=f"run-ended:{self.run_id}",
            severity="error" if self.failed else "info",
            title=self.summary(),
            fields={"pipeline": self.pipeline, "run_id": self.run_id, "state": self.state},
        )


def outcome_from_status(pipeline: str, status: dict[str, Any]) -> RunOutcome:
    """Map KFP's PipelineTaskFinalStatus fields to a RunOutcome."""
    error = status.get("error_message") or status.get("error", {}).get("message", "") or ""
    return RunOutcome(
        pipeline=pipeline,
        run_id=str(status.get("pipeline_job_resource_name") or status.get("pipeline_job_name") or "unknown"),
        state=str(status.get("state") or "UNKNOWN"),
        error_message=str(error),
    )


def send(
    outcome: RunOutcome,
    webhook_secret: str = "",
    timeout_seconds: float = 10.0,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Log the outcome, and POST it to the webhook `webhook_secret` names (env:NAME or
    secretmanager:...; `environ`: where env: references are read, default this process's
    environment). Returns each channel's result ("sent", "failed: ...").

    A notification must never turn a successful run into a failed one: an unreadable secret or an
    undeliverable webhook is logged as an error, never raised.
    """
    channels: list[Channel] = [LogChannel()]
    results: dict[str, str] = {}
    if webhook_secret:
        try:
            channels.append(webhook_from_secret(webhook_secret, timeout_seconds=timeout_seconds, environ=environ))
        except ChannelError as error:
            log.error("no webhook notification: %s", error)
            results["webhook"] = f"failed: {error}"
    return {**Notifier(channels).notify(outcome.alert()), **results}
