"""How a trigger answers and logs: one JSON answer and one structured log line per request.

Status codes say whose move it is. A 5xx is for a retry (Eventarc with retries enabled, Cloud
Scheduler with a retry_config); a 4xx says the event itself is wrong, and the answer names the
field. (Eventarc's Pub/Sub transport redelivers any non-2xx while retries are on, with a 10-600 s
backoff for at most 24 h: docs/triggers.md says how the deploy bounds that.)
  200  started, already started (a redelivered event), or ignored (an object outside the prefix,
       a monitoring alert with no crossed feature or of a model no pipeline retrains)
  400  the request or event is malformed; 404 the pipeline is not one this function starts;
       405 not a POST (HTTP function)
  500  the function's configuration or the published spec is wrong (the operator's to fix)
  503  Vertex AI or GCS failed transiently (429, 5xx, no connection): retry
"""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass, field
from typing import Any

from mlops.logs import CloudLoggingFormatter

_SEVERITY = {200: logging.INFO, 400: logging.WARNING, 404: logging.WARNING, 405: logging.WARNING, 503: logging.WARNING}


@dataclass(frozen=True)
class Answer:
    """The HTTP answer: a status code and a JSON body (`status`, `message` and details)."""

    code: int
    status: str  # started, already_started, ignored, bad_event, config_error, spec_error, vertex_error, retry
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    # The log line's level when not the code's own: an ignored alert of a model nothing retrains is
    # a 200 (redelivering it cannot help) but a gap someone should see.
    level: int | None = None

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, **self.details}

    def flask(self) -> Any:
        """The answer as a Flask response."""
        import flask  # pants: no-infer-dep (functions-framework runs on Flask)

        return flask.Response(json.dumps(self.body()), status=self.code, mimetype="application/json")


def logger() -> logging.Logger:
    """The functions' logger: JSON lines on stdout, which Cloud Logging parses into `severity`,
    `message` and jsonPayload fields. Set up on first use, not at import."""
    log = logging.getLogger("triggers")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(CloudLoggingFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False  # one line per record, whatever the framework does with the root logger
    first = log.handlers[0]
    if isinstance(first, logging.StreamHandler) and first.stream is not sys.stdout:
        # Whoever replaced stdout since (a test's capture) gets the lines. Not setStream(): it
        # flushes the old stream, which may be closed by now.
        first.stream = sys.stdout
    return log


def log(answer: Answer, function: str) -> Answer:
    """Log `answer` (ERROR for a 500: someone must fix the configuration) and return it."""
    level = answer.level or _SEVERITY.get(answer.code, logging.ERROR)
    fields = {"function": function, "http_status": answer.code, "status": answer.status, **answer.details}
    logger().log(level, answer.message, extra={"fields": fields})
    return answer
