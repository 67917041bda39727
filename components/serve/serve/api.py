"""Serve's public API for code outside the component (the CLI, a pipeline's deployment step, tests).

Light on purpose: it imports nothing beyond the standard library and mlops.serving_contract, so
the CLI can start a server, point Vertex AI at the right routes and wait for it without loading a
model or a web stack.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request

from mlops import serving_contract

__all__ = [
    "DEFAULT_HEALTH_ROUTE",
    "DEFAULT_PORT",
    "DEFAULT_PREDICT_ROUTE",
    "MAX_BODY_BYTES",
    "MODULE",
    "ServerNotReady",
    "command",
    "predict",
    "wait_for_health",
]

MODULE = "serve"  # `python -m serve`: the image's entry point
# The defaults are the routes every version is registered with (mlops.serving_contract), so the
# server answers where Vertex AI calls it and where a local run does.
DEFAULT_PORT = serving_contract.PORT  # AIP_HTTP_PORT when Vertex AI does not set it
DEFAULT_HEALTH_ROUTE = serving_contract.HEALTH_ROUTE  # AIP_HEALTH_ROUTE
DEFAULT_PREDICT_ROUTE = serving_contract.PREDICT_ROUTE  # AIP_PREDICT_ROUTE
MAX_BODY_BYTES = 1_500_000  # Vertex AI's limit for a request on a shared public endpoint

# Environment variables. AIP_* are Vertex AI's (the image never sets them); MLOPS_* are ours.
PORT_ENV, HEALTH_ROUTE_ENV, PREDICT_ROUTE_ENV = "AIP_HTTP_PORT", "AIP_HEALTH_ROUTE", "AIP_PREDICT_ROUTE"
STORAGE_URI_ENV = "AIP_STORAGE_URI"  # the model bundle: gs:// or a local folder
WORKERS_ENV = "MLOPS_SERVE_WORKERS"  # server processes; default: the CPUs this process may use
REQUEST_LOG_DIR_ENV = serving_contract.REQUEST_LOG_DIR_ENV  # where sampled requests go (Parquet); unset: none
REQUEST_LOG_RATE_ENV = serving_contract.REQUEST_LOG_RATE_ENV  # fraction of requests recorded (default 0.1)
CANARY_URI_ENV = serving_contract.CANARY_URI_ENV  # a second bundle, answering CANARY_TRAFFIC_ENV percent
CANARY_TRAFFIC_ENV = serving_contract.CANARY_TRAFFIC_ENV
REQUEST_LOG_BATCH_ENV = "MLOPS_REQUEST_LOG_BATCH_ROWS"  # rows per Parquet file (default 1000)
# Seconds a sampled row may wait in the buffer before it is written (default 60): a quiet endpoint's
# requests reach monitoring within a minute instead of at 1000 rows or shutdown.
REQUEST_LOG_FLUSH_ENV = "MLOPS_REQUEST_LOG_FLUSH_SECONDS"


class ServerNotReady(Exception):
    """The server did not answer its health route with 200 in time; the message says what it saw."""


def command(python: str = sys.executable) -> list[str]:
    """The command that starts the server (configured through the environment variables above)."""
    return [python, "-m", MODULE]


def wait_for_health(base_url: str, timeout: float = 60.0, route: str = DEFAULT_HEALTH_ROUTE) -> None:
    """Poll `base_url + route` until it answers 200 (the model is loaded); ServerNotReady after `timeout` s."""
    deadline, seen = time.monotonic() + timeout, "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + route, timeout=2) as response:
                if response.status == 200:
                    return
                seen = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            seen = f"HTTP {error.code}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            seen = str(getattr(error, "reason", error))
        time.sleep(0.05)
    raise ServerNotReady(f"{base_url}{route} did not answer 200 within {timeout:g} s (last: {seen})")


def predict(base_url: str, instances: list, route: str = DEFAULT_PREDICT_ROUTE, timeout: float = 30.0) -> list:
    """POST `{"instances": instances}` and return the predictions; urllib's HTTPError on an error status."""
    body = json.dumps({"instances": instances}).encode()
    request = urllib.request.Request(
        base_url.rstrip("/") + route, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["predictions"]
