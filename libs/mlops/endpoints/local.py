"""Local endpoints: the model server as a process on this machine (or a container), one per endpoint.

Each deployment is recorded in `<root>/<endpoint>.json` (root: `<storage_root>/endpoints/local`):

    {"endpoint": "churn-endpoint", "model_name": "churn", "version": "3", "bundle_uri": "...",
     "mode": "process" | "docker", "pid": 4242, "pid_start": "123456", "container_id": "",
     "port": 38123, "url": "http://127.0.0.1:38123", "log": ".../logs/churn-endpoint-38123.log",
     "started_at": "...", "previous": {"model_name": "churn", "version": "2", "bundle_uri": "..."}}

`deploy` starts the new server on a free port and waits for its health route; only then is the
record replaced and the older server of the same endpoint stopped, so a version that fails to
load never takes the endpoint down. `previous` is what `rollback` deploys again.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.endpoints import servers
from mlops.endpoints.base import DeployedModel, Endpoint, EndpointError, check_endpoint_name, now, read_json, write_json
from mlops.registry import ModelVersion
from mlops.serving_contract import HEALTH_ROUTE, PREDICT_ROUTE, REQUEST_LOG_DIR_ENV, REQUEST_LOG_RATE_ENV

DEFAULT_COMMAND = (sys.executable, "-m", "serve")  # components/serve's entry point


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
        self, version: ModelVersion, endpoint_name: str, *, port: int | None = None, image: str = ""
    ) -> Endpoint:
        """Serve `version` at the endpoint (in a container of `image` when given), once healthy."""
        check_endpoint_name(endpoint_name)
        current = read_json(str(self._record_path(endpoint_name)))
        if port is not None and current and current["port"] == port and self._alive(current):
            raise EndpointError(
                f"port {port} is used by endpoint {endpoint_name!r} ({current['model_name']}:{current['version']}), "
                "which keeps serving until the new server is healthy: choose another port, or undeploy first"
            )
        model = {"model_name": version.model_name, "version": version.version, "bundle_uri": version.bundle_uri}
        record = self._start(endpoint_name, model, port or servers.free_port(), image)
        if current:
            record["previous"] = {key: current[key] for key in ("model_name", "version", "bundle_uri")}
        write_json(str(self._record_path(endpoint_name)), record)
        if current:
            self._stop(current)
        return self._info(record)

    def rollback(self, endpoint_name: str) -> Endpoint:
        """Serve the version the last deploy replaced again (same mode), once it is healthy."""
        current = self._record(endpoint_name)
        previous = current.get("previous")
        if not previous:
            raise EndpointError(f"local endpoint {endpoint_name!r} has no earlier version recorded to roll back to")
        record = self._start(endpoint_name, previous, servers.free_port(), current.get("image", ""))
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
        return {"predictions": answer.get("predictions"), "model_version_id": record["version"]}

    # Internals.
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

    def _start(self, endpoint_name: str, model: Mapping[str, str], port: int, image: str) -> dict[str, Any]:
        """Start a server for `model` on `port` and wait until it is healthy (else stop it, EndpointError)."""
        log = self.root / "logs" / f"{endpoint_name}-{port}.log"
        record: dict[str, Any] = {
            "endpoint": endpoint_name, **model, "port": port, "url": f"http://127.0.0.1:{port}", "log": str(log),
            "mode": "docker" if image else "process", "image": image, "pid": 0, "pid_start": "", "container_id": "",
            "started_at": now(),
        }  # fmt: skip
        if image:
            name = f"mlops-{endpoint_name}-{port}".lower()
            record["container_id"] = servers.start_container(image, name, port, model["bundle_uri"])
            record["log"] = f"docker logs {record['container_id'][:12]}"
        else:
            record["requests"] = str(self.root / "requests" / endpoint_name)
            sampling = {REQUEST_LOG_DIR_ENV: record["requests"], REQUEST_LOG_RATE_ENV: str(self.request_sample_rate)}
            env = {**self.env, **servers.server_env(port, model["bundle_uri"]), **sampling}
            record["pid"], record["pid_start"] = servers.start_process(self.command, env, log)
        try:
            servers.wait_healthy(record["url"], lambda: self._alive(record), self.health_timeout)
        except EndpointError as error:
            output = _container_tail(record["container_id"]) if image else _tail(log)
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
        model = DeployedModel(
            id=str(record.get("container_id") or record.get("pid"))[:12], model_name=record["model_name"],
            version=record["version"], traffic=100, model_resource=record["bundle_uri"],
            created_at=record["started_at"],
        )  # fmt: skip
        return Endpoint(name=record["endpoint"], target="local", address=record["url"], models=[model], status=status)


def _tail(log: Path, lines: int = 5) -> str:
    """The last lines of a server's log, on one line, for an error message."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        text = []
    return " | ".join(text) or "(none)"


def _container_tail(container_id: str) -> str:
    """The last lines of a container's output, on one line."""
    return " | ".join(servers.container_logs(container_id).strip().splitlines()) or "(none)"
