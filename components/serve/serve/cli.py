"""The image's entry point, `python -m serve`: check the model bundle, then serve it with uvicorn.

Configured only through the environment (serve.api names the variables), as Vertex AI starts it.
A bad setting or a missing, unreadable, tampered or unloadable bundle stops it before it listens, with one
line naming the variable or folder and exit status 2. SIGTERM stops it gracefully: no new
connections, in-flight requests finish, the request log is written, exit status 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from typing import Any

import uvicorn

from mlops.logs import STEP_LOG_FORMAT, configure_logging
from mlops.model_bundle import BundleError
from mlops.predictor import Predictor
from serve.app import BUNDLE_DIR_ENV, CANARY_BUNDLE_DIR_ENV, READY_DIR_ENV
from serve.bundle import prepare_bundle
from serve.settings import Settings, SettingsError, read_settings

GRACEFUL_SHUTDOWN_SECONDS = 25  # within the 30 s Kubernetes (and so Vertex AI) waits after SIGTERM


def main(argv: list[str] | None = None) -> int:
    """Start the server from the environment; returns the exit status (2: bad setting or bundle)."""
    parser = argparse.ArgumentParser(prog="serve", description="Serves a model bundle over HTTP (Vertex AI contract).")
    parser.add_argument("--log-format", choices=("json", "text"), default=os.environ.get(STEP_LOG_FORMAT, "json"))
    args = parser.parse_args(argv)
    os.environ[STEP_LOG_FORMAT] = args.log_format  # the worker processes read it too
    configure_logging(json_output=args.log_format == "json", labels={"component": "serve"})
    try:
        settings = read_settings()
        bundle_dir, stored = prepare_bundle(settings.storage_uri)
        # Loaded once here too, then dropped: a bundle the workers could not load (unpickling fails
        # with other library versions, a pipeline the predictor cannot read) stops the server now,
        # with exit status 2, instead of leaving workers that answer 503 for ever.
        Predictor(stored)
        if settings.canary_uri:  # the canary is checked the same way: both load, or the server stops
            canary_dir, canary = prepare_bundle(settings.canary_uri)
            Predictor(canary)
            os.environ[CANARY_BUNDLE_DIR_ENV] = canary_dir
    except (SettingsError, BundleError) as error:
        print(f"serve: error: {error}", file=sys.stderr)
        return 2
    os.environ[BUNDLE_DIR_ENV] = bundle_dir
    with tempfile.TemporaryDirectory(prefix="serve-ready-") as ready_dir:
        os.environ[READY_DIR_ENV] = ready_dir
        # An import string and a factory: each worker process builds its own app from the environment.
        uvicorn.run("serve.app:create_app", factory=True, workers=settings.workers, **uvicorn_options(settings))
    return 0


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for `settings`: the C HTTP parser and event loop, our own access log."""
    return {
        "host": settings.host,
        "port": settings.port,
        "http": "httptools",
        "loop": "uvloop",
        "lifespan": "on",
        "access_log": False,  # serve.http logs each request as Cloud Logging JSON instead
        "log_config": None,  # uvicorn's own records go to the root logger configured above
        "server_header": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
