"""Fixtures of serve's tests: real bundles, and a real server on loopback (uvicorn in a thread).

Loaded through `pytest_plugins`. Bundles come from mlops.testing.bundles (LightGBM classification
and linear regression), so the tests never import the train component.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from mlops.model_bundle import save_bundle
from mlops.testing.bundles import fit_bundle, write_splits
from serve.app import ServeApp
from serve.cli import uvicorn_options
from serve.settings import Settings

CHURN_ROW = {
    "tenure_months": 12,
    "monthly_charges": 70.5,
    "support_calls": 2,
    "contract_type": "month-to-month",
    "payment_method": "card",
    "region": "north",
}


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Bundle folders by name: `churn` (LightGBM classification), `energy` (linear regression)."""
    folder = tmp_path_factory.mktemp("bundles")
    folder.chmod(0o755)
    churn = write_splits(folder, "churn", {"train": (400, 1)})
    energy = write_splits(folder, "energy", {"train": (300, 2)})
    save_bundle(fit_bundle("churn", churn["train"], "lightgbm"), str(folder / "churn"))
    save_bundle(fit_bundle("energy", energy["train"], "linear"), str(folder / "energy"))
    return {"churn": str(folder / "churn"), "energy": str(folder / "energy")}


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running(app: ServeApp, lifespan: str = "on") -> Iterator[str]:
    """Serve `app` with the server's uvicorn options on a free loopback port; yields the base URL."""
    options = {**uvicorn_options(app.settings), "host": "127.0.0.1", "port": free_port(), "lifespan": lifespan}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{options['port']}"
    finally:
        server.should_exit = True
        thread.join(30)


def make_app(bundle: str, **settings: Any) -> ServeApp:
    """The app serving the bundle folder `bundle`, with default settings except `settings`."""
    return ServeApp(replace(Settings(storage_uri=bundle), **settings), bundle)


def call(url: str, body: bytes | None = None, method: str | None = None) -> tuple[int, Any]:
    """(status, parsed JSON answer) of one request; error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method or ("POST" if body is not None else "GET"))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def post(url: str, payload: Any) -> tuple[int, Any]:
    """POST `payload` as JSON; (status, parsed answer)."""
    return call(url, json.dumps(payload).encode())


def parquet_rows(folder: Path) -> int:
    """Rows in the Parquet files of `folder` (0 if none)."""
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(path).num_rows for path in folder.glob("*.parquet"))
