"""Structured JSON logging in the shape Cloud Logging parses from a container's stdout/stderr.

Each record is one JSON line with `severity`, `message`, `time`, the source location and
`logging.googleapis.com/labels`; extra fields passed with `extra={"fields": {...}}` are kept as
`jsonPayload` fields, so they can be filtered on in the Logs Explorer.
"""

from __future__ import annotations

import json
import logging
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
