"""The model server as an ASGI application: Vertex AI's custom-container contract on raw ASGI.

- GET `health_route`: 200 `{"status": "ready"}` once the model is loaded, 503 before (and if it
  failed to load, with the reason);
- POST `predict_route`: `{"instances": [...], "parameters": {...}}` -> `{"predictions": [...]}`;
  a client's mistake is a 400 (413 for a body over the limit) with
  `{"error": {"message", "instance", "field"}}`, never a 500 or a stack trace;
- the model loads in a background thread after the server starts listening, so the health route
  answers (503) while a large bundle is unpickled. With several worker processes, health answers
  200 only once every worker has loaded it (each leaves a marker in a folder `python -m serve`
  makes), and a prediction that reaches a worker still loading waits for it: a client never sees
  a 503 after the first 200;
- a canary (a local endpoint's second version) answers exactly `canary_traffic` of every 100
  requests a worker gets, by a counter, not a coin, so a split holds even over few requests; its
  rows carry its own sha in the same request log, and the health route lists both models.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import orjson

from mlops.logs import STEP_LOG_FORMAT, STEP_LOG_LEVEL, configure_logging
from mlops.model_bundle import BundleError
from mlops.predictor import InstanceError, Predictor
from serve import api
from serve.http import BodyTooLarge, ClientGone, Receive, Scope, Send, error_body, log_access, read_body, respond
from serve.request_log import RequestLog
from serve.settings import Settings, read_settings

BUNDLE_DIR_ENV = "MLOPS_SERVE_BUNDLE_DIR"  # set by `python -m serve` for its workers: the checked local copy
CANARY_BUNDLE_DIR_ENV = "MLOPS_SERVE_CANARY_BUNDLE_DIR"  # the same, for the canary's bundle
READY_DIR_ENV = "MLOPS_SERVE_READY_DIR"  # set by `python -m serve`: where each worker marks itself loaded
LOAD_WAIT_SECONDS = 60.0  # how long a prediction waits for its worker to finish loading
_READY = orjson.dumps({"status": "ready"})
_Answered = tuple[list[Any], list[dict[str, Any]]]  # the instances and their predictions
log = logging.getLogger("serve")


class ServeApp:
    """The ASGI application serving the bundle in `bundle_dir` with `settings`."""

    def __init__(self, settings: Settings, bundle_dir: str, ready_dir: str = "", canary_dir: str = "") -> None:
        self.settings, self.bundle_dir, self.ready_dir = settings, bundle_dir, ready_dir
        self.canary_dir = canary_dir or settings.canary_uri
        self.predictor: Predictor | None = None
        self.canary: Predictor | None = None
        self.canary_log: RequestLog | None = None
        self._requests = 0  # predictions asked of this worker: the canary's turn is counted, not drawn
        self.ready_body = _READY
        self.all_ready = False
        self._loaded: asyncio.Event | None = None
        self.request_log: RequestLog | None = None
        self.not_ready = error_body("the model is loading")
        self._writes: set[Future[Any]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        flusher: asyncio.Future[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._loaded = asyncio.Event()
                load = loop.run_in_executor(None, self.load)  # health answers 503 meanwhile
                load.add_done_callback(self._set_loaded)
                flusher = asyncio.ensure_future(self._flush_periodically())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if flusher is not None:
                    flusher.cancel()
                await loop.run_in_executor(None, self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _flush_periodically(self) -> None:
        """Write the request log's buffer once its oldest row has waited the flush interval."""
        interval = self.settings.request_log_flush_seconds
        while True:
            await asyncio.sleep(min(interval, 5.0))
            for request_log in (self.request_log, self.canary_log):
                if request_log is not None:
                    self._write_in_background(request_log, request_log.take_older_than(interval))

    def _write_in_background(self, request_log: RequestLog, batch: list[dict[str, Any]]) -> None:
        if batch:
            write = asyncio.get_running_loop().run_in_executor(None, self._write_rows, request_log, batch)
            self._writes.add(write)  # type: ignore[arg-type]
            write.add_done_callback(self._writes.discard)  # type: ignore[arg-type]

    def _set_loaded(self, _: object) -> None:
        if self._loaded is not None:
            self._loaded.set()

    def load(self) -> None:
        """Load and compile the bundle; on failure the health route keeps answering 503 with the reason."""
        started = time.perf_counter()
        try:
            predictor, self.request_log = self._load_one(self.bundle_dir)
            if self.canary_dir:
                self.canary, self.canary_log = self._load_one(self.canary_dir)
        except (BundleError, ValueError, OSError) as error:
            self.not_ready = error_body(f"the model failed to load: {error}")
            log.error("model failed to load: %s", error)
            return
        if self.canary is not None:
            share = self.settings.canary_traffic
            models = [
                {"model_sha256": predictor.model_sha256, "traffic": 100 - share},
                {"model_sha256": self.canary.model_sha256, "traffic": share, "canary": True},
            ]
            self.ready_body = orjson.dumps({"status": "ready", "models": models})
        self.predictor = predictor
        if self.ready_dir:
            Path(self.ready_dir, f"ready-{os.getpid()}").touch()
        fields = {
            "model_sha256": predictor.model_sha256,
            "input_columns": predictor.input_columns,
            "compiled": list(predictor.compiled),
            "load_seconds": round(time.perf_counter() - started, 3),
        }
        if self.canary is not None:
            fields["canary"] = {"model_sha256": self.canary.model_sha256, "traffic": self.settings.canary_traffic}
        log.info("model loaded from %s", self.settings.storage_uri, extra={"fields": fields})

    def _load_one(self, bundle_dir: str) -> tuple[Predictor, RequestLog | None]:
        predictor = Predictor.load(bundle_dir)
        if not self.settings.request_log_dir:
            return predictor, None
        settings, kinds, sha = self.settings, dict[str, str](predictor.input_kinds), predictor.model_sha256
        return predictor, RequestLog(settings.request_log_dir, predictor.input_columns, kinds,
                                     settings.request_log_rate, settings.request_log_batch, sha)  # fmt: skip

    def close(self) -> None:
        """Finish the request log: wait for batches being written, then write what is buffered."""
        for write in list(self._writes):
            write.result()
        for request_log in (self.request_log, self.canary_log):
            if request_log is not None:
                self._write_rows(request_log, request_log.take())

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started, path = time.perf_counter(), scope["path"]
        request_bytes, predicted, request_log = 0, None, self.request_log
        if path == self.settings.predict_route and scope["method"] == "POST":
            try:
                body = await read_body(scope, receive, api.MAX_BODY_BYTES)
            except BodyTooLarge as error:
                status, answer = 413, error_body(str(error))
            except ClientGone:
                return
            else:
                request_bytes = len(body)
                if self.predictor is None and self._loaded is not None:
                    await _wait(self._loaded, LOAD_WAIT_SECONDS)
                predictor = self.predictor
                if self.canary is not None:
                    turn, self._requests = self._requests, self._requests + 1
                    share = self.settings.canary_traffic
                    if turn * share % 100 < share:  # exactly `share` turns in each 100, spread evenly
                        predictor, request_log = self.canary, self.canary_log
                status, answer, predicted = self._predict(body, predictor)
        elif path == self.settings.health_route and scope["method"] in ("GET", "HEAD"):
            status, answer = (200, self.ready_body) if self._ready() else (503, self.not_ready)
        elif path in (self.settings.predict_route, self.settings.health_route):
            status, answer = 405, error_body(f"method {scope['method']} is not allowed on {path}")
        else:
            message = f"no route {path}; predictions are POSTed to {self.settings.predict_route}"
            status, answer = 404, error_body(message)
        await respond(send, status, answer)
        seconds = time.perf_counter() - started
        if status != 200 or path != self.settings.health_route:  # Vertex AI polls health: log only failures
            log_access(scope, status, request_bytes, len(answer), seconds)
        if path == self.settings.predict_route and request_log is not None and request_log.sampled():
            # Failures are sampled too: monitoring reads the error rate and latency from this log.
            latency_ms = round(seconds * 1000, 3)
            if predicted is not None:
                batch = request_log.record(*predicted, latency_ms)
            else:
                batch = request_log.record_failure(status, latency_ms)
            self._write_in_background(request_log, batch or [])

    def _ready(self) -> bool:
        if self.predictor is None:
            return False
        if not self.all_ready:  # until every worker process has loaded the model (then for good)
            self.all_ready = not self.ready_dir or len(os.listdir(self.ready_dir)) >= self.settings.workers
        return self.all_ready

    def _predict(self, body: bytes, predictor: Predictor | None) -> tuple[int, bytes, _Answered | None]:
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            return 400, error_body(f"the request body is not valid JSON: {error}"), None
        if not isinstance(payload, dict) or "instances" not in payload:
            message = 'the request body must be a JSON object {"instances": [...]}'
            return 400, error_body(message, None, "instances"), None
        if extra := [key for key in payload if key not in ("instances", "parameters")]:
            message = f"unknown key {extra[0]!r}: the body has instances and parameters"
            return 400, error_body(message, None, extra[0]), None
        if not isinstance(payload.get("parameters") or {}, dict):
            return 400, error_body("parameters must be a JSON object", None, "parameters"), None
        if predictor is None:
            return 503, self.not_ready, None
        instances = payload["instances"]
        try:
            predictions = predictor.predict_instances(instances)
        except InstanceError as error:
            return 400, error_body(str(error), error.index, error.field), None
        except Exception:  # the model's fault, not the client's: logged with its trace, answered plainly
            log.exception("prediction failed")
            return 500, error_body("internal error while predicting; the server log has the details"), None
        return 200, orjson.dumps({"predictions": predictions}), (instances, predictions)

    def _write_rows(self, request_log: RequestLog, rows: list[dict[str, Any]]) -> None:
        try:
            uri = request_log.write(rows)
        except Exception as error:  # monitoring data is best effort: never fail serving for it
            log.error("could not write %d sampled request rows: %s", len(rows), error)
            return
        if uri:
            log.info("wrote %d sampled request rows to %s", len(rows), uri)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):  # still loading after that: the request is answered 503
        await asyncio.wait_for(event.wait(), seconds)


def create_app() -> ServeApp:
    """The application for one server process, from the environment (uvicorn's factory)."""
    settings = read_settings()
    json_output = os.environ.get(STEP_LOG_FORMAT, "json") != "text"
    configure_logging(os.environ.get(STEP_LOG_LEVEL, "INFO"), json_output=json_output, labels={"component": "serve"})
    bundle_dir = os.environ.get(BUNDLE_DIR_ENV) or settings.storage_uri
    canary_dir = os.environ.get(CANARY_BUNDLE_DIR_ENV, "")
    return ServeApp(settings, bundle_dir, os.environ.get(READY_DIR_ENV, ""), canary_dir)
