"""Structured JSON logging in the shape Cloud Logging parses from a container's stdout/stderr.

Each record is one JSON line with `severity`, `message`, `time`, the source location and
`logging.googleapis.com/labels`; extra fields passed with `extra={"fields": {...}}` are kept as
`jsonPayload` fields, so they can be filtered on in the Logs Explorer.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

_LABELS_KEY = "logging.googleapis.com/labels"
_SOURCE_KEY = "logging.googleapis.com/sourceLocation"
_SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "INFO": "INFO", "DEBUG": "DEBUG"}


class CloudLoggingFormatter(logging.Formatter):
    """Formats records as Cloud Logging structured JSON lines."""

    def __init__(self, labels: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.labels = dict(labels or {})

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": _SEVERITY.get(record.levelname, "DEFAULT"),
            "message": record.getMessage(),
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "logger": record.name,
            _SOURCE_KEY: {"file": record.pathname, "line": str(record.lineno), "function": record.funcName},
        }
        labels = {**self.labels, **getattr(record, "labels", {})}
        if labels:
            entry[_LABELS_KEY] = {key: str(value) for key, value in labels.items()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            # Cloud Error Reporting groups errors by the stack trace found in `message`.
            entry["message"] += "\n" + self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(
    level: str = "INFO",
    *,
    json_output: bool = True,
    labels: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> None:
    """Route the root logger to one handler: JSON lines in containers, plain text for people."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if json_output:
        handler.setFormatter(CloudLoggingFormatter(labels))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


# How a pipeline step logs: set as environment variables on every task when the pipeline is
# compiled (from the environment's `logging` settings), read by the step when it starts.
STEP_LOG_FORMAT, STEP_LOG_LEVEL, STEP_LOG_LABELS = "MLOPS_LOG_FORMAT", "MLOPS_LOG_LEVEL", "MLOPS_LOG_LABELS"


def step_logging_env(level: str, json_output: bool, labels: Mapping[str, str]) -> dict[str, str]:
    """The task environment that makes `configure_step_logging` log as the settings say."""
    return {
        STEP_LOG_FORMAT: "json" if json_output else "text",
        STEP_LOG_LEVEL: level,
        STEP_LOG_LABELS: json.dumps(dict(labels), sort_keys=True),
    }


def configure_step_logging(component: str, environ: Mapping[str, str] | None = None) -> None:
    """Configure logging inside a pipeline step from the variables `step_logging_env` set on its task:
    Cloud Logging JSON where the environment asks for it (on Vertex AI), plain text otherwise.

    Read when the step starts, never at import: the same image serves every environment.
    """
    env = os.environ if environ is None else environ
    try:
        labels = json.loads(env.get(STEP_LOG_LABELS) or "{}")
    except ValueError:
        labels = {}
    labels = {str(key): str(value) for key, value in labels.items()} if isinstance(labels, dict) else {}
    level = env.get(STEP_LOG_LEVEL, "INFO")
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        level = "INFO"
    configure_logging(level, json_output=env.get(STEP_LOG_FORMAT) == "json", labels={**labels, "component": component})
