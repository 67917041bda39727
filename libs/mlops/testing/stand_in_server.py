"""A stand-in for the model server (components/serve), for tests of local deployments.

A test double of the *server*, not of our code: a real process on loopback that keeps the same
contract, so `mlops.endpoints.local` starts, health-checks, calls and stops it exactly as it does
the real one. Standard library only: run it as `python .../stand_in_server.py`.

Contract (Vertex AI's custom-container variables): AIP_HTTP_PORT (8080), AIP_HEALTH_ROUTE
(`/health`: 503 until the model is loaded, then 200), AIP_PREDICT_ROUTE (`/predict`),
AIP_STORAGE_URI (the bundle folder). `{"instances": [...]}` -> `{"predictions": [...]}`; bad
input -> 400 `{"error": {"message": ...}}`.

The "model" is `<AIP_STORAGE_URI>/stand_in_model.json`: `{"bias": 1, "weights": {"x": 2},
"not_ready_checks": 2}` predicts `bias + sum(weight * instance[name])` and answers 503 to its
first `not_ready_checks` health checks (a model still loading). No such file: the server exits
with code 3 and says so, as a server that cannot load its model does.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

MODEL_FILE = "stand_in_model.json"


def write_model(
    folder: Path, *, bias: float = 0.0, weights: dict[str, float] | None = None, not_ready: int = 0
) -> Path:
    """Write a stand-in model into `folder` (a bundle folder to register or deploy)."""
    folder.mkdir(parents=True, exist_ok=True)
    model = {"bias": bias, "weights": weights or {"x": 1.0}, "not_ready_checks": not_ready}
    (folder / MODEL_FILE).write_text(json.dumps(model))
    return folder


def main() -> int:
    port = int(os.environ.get("AIP_HTTP_PORT", "8080"))
    health, predict = os.environ.get("AIP_HEALTH_ROUTE", "/health"), os.environ.get("AIP_PREDICT_ROUTE", "/predict")
    model_path = Path(os.environ.get("AIP_STORAGE_URI", ".")) / MODEL_FILE
    try:
        model = json.loads(model_path.read_text())
    except OSError as error:
        print(f"stand-in server: cannot load the model: {model_path}: {error.strerror}", flush=True)
        return 3
    state = {"checks": 0}

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path != health:
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            state["checks"] += 1
            ready = state["checks"] > model["not_ready_checks"]
            return self._send(200 if ready else 503, {"status": "ok" if ready else "loading"})

        def do_POST(self) -> None:
            if self.path != predict:
                return self._send(404, {"error": {"message": f"no route {self.path}"}})
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                rows = body["instances"]
                weights = model["weights"].items()
                predictions = [model["bias"] + sum(w * float(row[k]) for k, w in weights) for row in rows]
            except (ValueError, KeyError, TypeError) as error:
                return self._send(400, {"error": {"message": f"bad instances: {error!r}"}})
            return self._send(200, {"predictions": predictions})

        def log_message(self, format: str, *args: Any) -> None:  # the base class's name
            """Quiet: the tests read answers, not an access log."""

    # Loopback unless told (a container must listen on all of its interfaces to be reachable).
    server = ThreadingHTTPServer((os.environ.get("STAND_IN_HOST", "127.0.0.1"), port), Handler)
    print(f"stand-in server: serving {model_path} on port {port}", flush=True)
    # SIGTERM ends it, as it ends the real server: as a container's first process it would otherwise
    # be ignored, and every stop would wait out Docker's grace period.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
