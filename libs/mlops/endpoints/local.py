"""Local endpoints: the model server as a process on this machine (or a container), one per endpoint.

Each deployment is recorded in `<root>/<endpoint>.json` (root: `<storage_root>/endpoints/local`):

    {"endpoint": "churn-endpoint", "model_name": "churn", "version": "3", "bundle_uri": "...",
     "mode": "process" | "docker", "pid": 4242, "pid_start": "123456", "container_id": "",
     "port": 38123, "url": "http://127.0.0.1:38123", "log": ".../logs/churn-endpoint-38123.log",
     "started_at": "...", "previous": {"model_name": "churn", "version": "2", "bundle_uri": "..."},
     "canary": {"model_name": "churn", "version": "4", "bundle_uri": "...", "traffic": 10}}

`deploy` starts the new server on a free port and waits for its health route; only then is the
record replaced and the older server of the same endpoint stopped, so a version that fails to
load never takes the endpoint down. `previous` is what `rollback` deploys again.

A canary (`deploy(..., traffic=10)`) is the same server process loading both bundles and
answering the canary's share of requests (components/serve), so the endpoint keeps one address
and one request log; `promote` serves the canary alone, `rollback` the state before it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops import serving_contract, storage
from mlops.endpoints import base, servers
from mlops.endpoints.base import DeployedModel, Endpoint, EndpointError, check_endpoint_name, now, read_json, write_json
from mlops.registry import ModelVersion
from mlops.serving_contract import HEALTH_ROUTE, PREDICT_ROUTE, REQUEST_LOG_DIR_ENV, REQUEST_LOG_RATE_ENV

DEFAULT_COMMAND = (sys.executable, "-m", "serve")  # components/serve's entry point
MODEL_KEYS = ("model_name", "version", "bundle_uri")


class LocalEndpoints:
    """Model servers on this machine, recorded under `root` (a local folder)."""

    def __init__(
        self,
        root: str,
        *,
        command: Sequence[str] = DEFAULT_COMMAND,
        env: Mapping[str, str] | None = None,
        health_timeout: float = 60.0,
        request_sample_rate: float = 0.1,
    ) -> None:
        """`command` starts the server (AIP_* variables are added to `env` and this process's environment).

        A server started as a process records `request_sample_rate` of its requests and responses
        as Parquet files under `<root>/requests/<endpoint>/` (the input of monitoring).
        """
        if not storage.is_local(root):
            raise EndpointError(f"{root}: local endpoints are recorded in a local folder, not a URI")
        self.root, self.command, self.env = Path(root), tuple(command), dict(env or {})
        self.health_timeout, self.request_sample_rate = health_timeout, request_sample_rate

    def deploy(
        self, version: ModelVersion, endpoint_name: str, *, port: int | None = None, image: str = "",
        traffic: int = 100,
    ) -> Endpoint:  # fmt: skip
        """Serve `version` at the endpoint (in a container of `image` when given), once healthy; with
        `traffic` below 100 as a canary next to the version the endpoint serves, which keeps the rest."""
        check_endpoint_name(endpoint_name)
        current = read_json(str(self._record_path(endpoint_name)))
        model: dict[str, Any] = {key: getattr(version, key) for key in MODEL_KEYS}
        if base.check_traffic(traffic) < 100:
            model = self._with_canary(endpoint_name, current, model, traffic, image)
        if port is not None and current and current["port"] == port and self._alive(current):
            raise EndpointError(
                f"port {port} is used by endpoint {endpoint_name!r} ({current['model_name']}:{current['version']}), "
                "which keeps serving until the new server is healthy: choose another port, or undeploy first"
            )
        return self._replace(endpoint_name, current, model, port or servers.free_port(), image)

    def promote(self, endpoint_name: str) -> Endpoint:
        """The canary takes all traffic: its version is served alone (rollback returns to the split)."""
        current = self._record(endpoint_name)
        if not current.get("canary"):
            ref = f"{current['model_name']}:{current['version']}"
            raise EndpointError(f"local endpoint {endpoint_name!r} has no canary to promote: {ref} takes all traffic")
        model = {key: current["canary"][key] for key in MODEL_KEYS}
        return self._replace(endpoint_name, current, model, servers.free_port(), current.get("image", ""))

    def rollback(self, endpoint_name: str) -> Endpoint:
        """Serve the version the last deploy replaced again (same mode), once it is healthy."""
        current = self._record(endpoint_name)
        previous = current.get("previous")
        if not previous:
            raise EndpointError(f"local endpoint {endpoint_name!r} has no earlier version recorded to roll back to")
        record = self._start(endpoint_name, _state(previous), servers.free_port(), current.get("image", ""))
        write_json(str(self._record_path(endpoint_name)), record)  # no `previous`: one step back only
        self._stop(current)
        return self._info(record)

    def undeploy(self, endpoint_name: str) -> Endpoint:
        """Stop the endpoint's server and forget the endpoint."""
        record = self._record(endpoint_name)
        self._stop(record)
        self._record_path(endpoint_name).unlink()
        return self._info(record, status="stopped")

    def list_endpoints(self) -> list[Endpoint]:
        """Every recorded local endpoint, with its status now: healthy, unhealthy or stopped."""
        found = sorted(self.root.glob("*.json")) if self.root.is_dir() else []
        return [self._info(record) for path in found if (record := read_json(str(path)))]

    def get(self, endpoint_name: str) -> Endpoint:
        """One recorded endpoint with its status now; EndpointError if none is recorded."""
        return self._info(self._record(endpoint_name))

    def predict(self, endpoint_name: str, instances: Sequence[Any]) -> dict[str, Any]:
        """The server's answer to `{"instances": [...]}`; its 400 error becomes an EndpointError."""
        record = self._record(endpoint_name)
        url = record["url"] + PREDICT_ROUTE
        try:
            status, answer = servers.post_json(url, {"instances": list(instances)})
        except OSError as error:
            raise EndpointError(
                f"local endpoint {endpoint_name!r} does not answer at {url} ({error}); "
                f"`mlops endpoints list` shows its status, its log is {record['log']}"
            ) from None
        if status != 200:
            detail = answer.get("error", answer) if isinstance(answer, dict) else answer
            if isinstance(detail, dict) and "message" in detail:  # the server's error: its message says it all
                detail = detail["message"]
            raise EndpointError(f"local endpoint {endpoint_name!r} refused the request (HTTP {status}): {detail}")
        if not isinstance(answer, dict) or "predictions" not in answer:
            raise EndpointError(f"local endpoint {endpoint_name!r} answered without predictions: {str(answer)[:200]}")
        if record.get("canary"):  # which of the two answered is in the request log (model_sha256), not here
            return {"predictions": answer.get("predictions")}
        return {"predictions": answer.get("predictions"), "model_version_id": record["version"]}

    # Internals.
    def _with_canary(
        self, endpoint_name: str, current: Mapping[str, Any] | None, model: dict[str, Any], traffic: int, image: str
    ) -> dict[str, Any]:
        """The state serving the endpoint's current version with `model` as a canary at `traffic`."""
        name, ref = f"local endpoint {endpoint_name!r}", f"{model['model_name']}:{model['version']}"
        if not current:
            raise EndpointError(f"{name} serves nothing yet: the first version takes all traffic (drop --traffic)")
        if canary := current.get("canary"):
            serving = f"{canary['model_name']}:{canary['version']} at {canary['traffic']}%"
            raise EndpointError(f"{name} already has a canary ({serving}): promote it or roll it back first")
        if image or current.get("mode") == "docker":
            raise EndpointError(f"{name}: a local canary runs as a process, not in a container (--docker)")
        if (current["model_name"], current["version"]) == (model["model_name"], model["version"]):
            raise EndpointError(f"{ref} already serves {name}")
        return {**{key: current[key] for key in MODEL_KEYS}, "canary": {**model, "traffic": traffic}}

    def _replace(
        self, endpoint_name: str, current: Mapping[str, Any] | None, model: Mapping[str, Any], port: int, image: str
    ) -> Endpoint:
        """Start a server for `model`, record it (the current state as `previous`), stop the current one."""
        record = self._start(endpoint_name, model, port, image)
        record.update({"previous": _state(current)} if current else {})
        write_json(str(self._record_path(endpoint_name)), record)
        if current:
            self._stop(current)
        return self._info(record)

    def _record_path(self, endpoint_name: str) -> Path:
        """`<root>/<endpoint>.json`; the name is checked first, so it cannot leave the folder."""
        return self.root / f"{check_endpoint_name(endpoint_name)}.json"

    def _record(self, endpoint_name: str) -> dict[str, Any]:
        """The endpoint's record; EndpointError naming the folder if there is none."""
        record = read_json(str(self._record_path(endpoint_name)))
        if record is None:
            raise EndpointError(
                f"no local endpoint {endpoint_name!r} is recorded under {self.root}; `mlops endpoints list` shows them"
            )
        return record

    def _start(self, endpoint_name: str, model: Mapping[str, Any], port: int, image: str) -> dict[str, Any]:
        """Start a server for `model` on `port` and wait until it is healthy (else stop it, EndpointError)."""
        log = self.root / "logs" / f"{endpoint_name}-{port}.log"
        record: dict[str, Any] = {
            "endpoint": endpoint_name, **model, "port": port, "url": f"http://127.0.0.1:{port}", "log": str(log),
            "mode": "docker" if image else "process", "image": image, "pid": 0, "pid_start": "", "container_id": "",
            "started_at": now(),
        }  # fmt: skip
        record["requests"] = str(self.root / "requests" / endpoint_name)
        if image:
            name = f"mlops-{endpoint_name}-{port}".lower()
            rate = {REQUEST_LOG_RATE_ENV: str(self.request_sample_rate)}
            container = servers.start_container(image, name, port, model["bundle_uri"], record["requests"], rate)
            record["container_id"], record["log"] = container, f"docker logs {container[:12]}"
        else:
            sampling = {REQUEST_LOG_DIR_ENV: record["requests"], REQUEST_LOG_RATE_ENV: str(self.request_sample_rate)}
            env = {**self.env, **servers.server_env(port, model["bundle_uri"]), **sampling}
            if canary := model.get("canary"):
                env[serving_contract.CANARY_URI_ENV] = canary["bundle_uri"]
                env[serving_contract.CANARY_TRAFFIC_ENV] = str(canary["traffic"])
            record["pid"], record["pid_start"] = servers.start_process(self.command, env, log)
        try:
            servers.wait_healthy(record["url"], lambda: self._alive(record), self.health_timeout)
        except EndpointError as error:
            output = servers.container_tail(record["container_id"]) if image else servers.log_tail(log)
            self._stop(record)
            where = f"container {record['container_id'][:12]}, now removed" if image else str(log)
            ref = f"{model['model_name']}:{model['version']}"
            message = f"{ref} at endpoint {endpoint_name!r}: {error}; its output ({where}): {output}"
            raise EndpointError(message) from None
        return record

    def _alive(self, record: Mapping[str, Any]) -> bool:
        """Whether the recorded server (process or container) still runs."""
        if record.get("container_id"):
            return servers.container_alive(record["container_id"])
        return servers.process_alive(int(record["pid"]), record.get("pid_start", ""))

    def _stop(self, record: Mapping[str, Any]) -> None:
        """Stop the recorded server if it still runs."""
        if record.get("container_id"):
            servers.remove_container(record["container_id"])
        elif record.get("pid"):
            servers.stop_process(int(record["pid"]), record.get("pid_start", ""))

    def _info(self, record: Mapping[str, Any], status: str = "") -> Endpoint:
        """The endpoint as listed; `status` is probed (process or container, then health) unless given."""
        if not status:
            healthy = self._alive(record) and servers.http_status(record["url"] + HEALTH_ROUTE) == 200
            status = "healthy" if healthy else "unhealthy" if self._alive(record) else "stopped"
        server = str(record.get("container_id") or record.get("pid"))[:12]
        canary = record.get("canary") or {}
        models = [(server, record, 100 - int(canary.get("traffic", 0)))]
        if canary:
            models.append((f"{server}/canary", canary, int(canary["traffic"])))
        deployed = [
            DeployedModel(id=key, model_name=model["model_name"], version=model["version"], traffic=traffic,
                          model_resource=model["bundle_uri"], created_at=record["started_at"])
            for key, model, traffic in models
        ]  # fmt: skip
        return Endpoint(name=record["endpoint"], target="local", address=record["url"], models=deployed, status=status)


def _state(record: Mapping[str, Any]) -> dict[str, Any]:
    """What a record serves: the version, and its canary if any (what `previous` keeps)."""
    state = {key: record[key] for key in MODEL_KEYS}
    return {**state, "canary": dict(record["canary"])} if record.get("canary") else state
