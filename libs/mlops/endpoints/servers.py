"""Model server processes and containers on this machine: start, wait for health, check, stop, call.

The server is configured only through Vertex AI's custom-container variables (AIP_HTTP_PORT,
AIP_HEALTH_ROUTE, AIP_PREDICT_ROUTE, AIP_STORAGE_URI), so the same server runs here, in its
image and on Vertex AI. Processes are started in their own session: they outlive the `mlops`
command that started them, and stopping the session's group also stops any workers they forked.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mlops.endpoints.base import EndpointError
from mlops.serving_contract import HEALTH_ROUTE, PREDICT_ROUTE, REQUEST_LOG_DIR_ENV
from mlops.serving_contract import PORT as CONTAINER_PORT

CONTAINER_REQUESTS = "/requests"  # where a containerized server's request log folder is mounted


def server_env(port: int, storage_uri: str) -> dict[str, str]:
    """The AIP_* variables the server reads (routes set explicitly, so we know where to call)."""
    return {
        "AIP_HTTP_PORT": str(port),
        "AIP_HEALTH_ROUTE": HEALTH_ROUTE,
        "AIP_PREDICT_ROUTE": PREDICT_ROUTE,
        "AIP_STORAGE_URI": storage_uri,
    }


def start_process(command: Sequence[str], env: Mapping[str, str], log_path: Path) -> tuple[int, str]:
    """Start `command` detached, output to `log_path`; returns its pid and start time (see `process_alive`)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        try:
            process = subprocess.Popen(
                list(command), env={**os.environ, **env}, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        except OSError as error:
            raise EndpointError(f"cannot start the model server {' '.join(command)!r}: {error.strerror}") from None
    return process.pid, _start_time(process.pid)


def process_alive(pid: int, started: str) -> bool:
    """Whether process `pid` runs and is the one we started: on Linux the kernel's start time must
    match, so a pid reused by another program after a reboot is not taken for our server."""
    with contextlib.suppress(ChildProcessError):  # not our child: its parent reaps it
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child that exited (no zombie then)
    if Path("/proc/self/stat").exists():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return False
        return fields[0] not in ("Z", "X") and (not started or fields[19] == started)
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_process(pid: int, started: str, grace_seconds: float = 30.0) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it is still there after the grace period
    (30 s: what Vertex AI gives a container; the server finishes in-flight requests within it)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not process_alive(pid, started):
            return
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace_seconds
        while time.monotonic() < deadline and process_alive(pid, started):
            time.sleep(0.05)


def _containers() -> Any:
    """The Docker engine's containers (Docker SDK, `DOCKER_HOST` or the default socket)."""
    import docker

    try:
        return docker.from_env().containers
    except docker.errors.DockerException as error:
        message = f"--docker needs a Docker engine: {error} (build-support/ensure-docker.sh starts one)"
        raise EndpointError(message) from None


def start_container(
    image: str, name: str, port: int, bundle_uri: str, requests_dir: str = "", env: Mapping[str, str] | None = None
) -> str:
    """Run the serving image with a local bundle mounted read-only and the port on loopback; its id.

    With `requests_dir` (a host folder), the server's request log goes there: the folder is mounted
    at /requests and the server runs as the calling user, who owns it (the image's own user could not
    write to it), as the Docker runner's steps do. `env` is added to the server's variables.
    """
    import docker

    volumes, storage_uri = {}, bundle_uri
    if "://" not in bundle_uri:
        volumes = {str(Path(bundle_uri).resolve()): {"bind": "/model", "mode": "ro"}}
        storage_uri = "/model"
    environment = {**(env or {}), **server_env(CONTAINER_PORT, storage_uri)}
    user = None
    if requests_dir:
        Path(requests_dir).mkdir(parents=True, exist_ok=True)
        volumes[str(Path(requests_dir).resolve())] = {"bind": CONTAINER_REQUESTS, "mode": "rw"}
        environment[REQUEST_LOG_DIR_ENV] = CONTAINER_REQUESTS
        user = f"{os.getuid()}:{os.getgid()}"
    try:
        container = _containers().run(
            image, detach=True, name=name, environment=environment, volumes=volumes, user=user,
            ports={f"{CONTAINER_PORT}/tcp": ("127.0.0.1", port)},
        )  # fmt: skip
    except docker.errors.ImageNotFound:
        raise EndpointError(f"image {image} is not on this Docker engine: build it first") from None
    except docker.errors.DockerException as error:
        raise EndpointError(f"cannot start {image}: {error}") from None
    return str(container.id)


def container_alive(container_id: str) -> bool:
    """Whether the container exists and runs."""
    import docker

    try:
        return bool(_containers().get(container_id).status == "running")
    except docker.errors.DockerException:
        return False


def container_logs(container_id: str, lines: int = 5) -> str:
    """The container's last output lines (or why they cannot be read)."""
    import docker

    try:
        return str(_containers().get(container_id).logs(tail=lines).decode("utf-8", "replace"))
    except docker.errors.DockerException as error:
        return str(error)


def remove_container(container_id: str, grace_seconds: float = 30.0) -> None:
    """Stop the container (SIGTERM, then SIGKILL after the grace period, as for a process: the server
    finishes in-flight requests and writes its request log's buffer) and remove it (gone already:
    nothing to do)."""
    import docker

    try:
        container = _containers().get(container_id)
        container.stop(timeout=max(1, round(grace_seconds)))
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.DockerException as error:
        raise EndpointError(f"cannot remove container {container_id[:12]}: {error}") from None


def wait_healthy(url: str, alive: Callable[[], bool], timeout: float) -> None:
    """Poll the health route until it answers 200; EndpointError if the server dies or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        if not alive():
            raise EndpointError(f"the model server for {url} exited before its health route answered 200")
        status = http_status(url + HEALTH_ROUTE)
        if status == 200:
            return
        if time.monotonic() > deadline:
            last = f"HTTP {status}" if status else "no answer"
            raise EndpointError(f"the model server at {url} was not healthy after {timeout:g} s (last: {last})")
        time.sleep(0.2)


def http_status(url: str) -> int | None:
    """The HTTP status of GET `url`, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except (urllib.error.URLError, OSError):
        return None


def post_json(url: str, payload: Any, timeout: float = 60.0) -> tuple[int, Any]:
    """POST JSON; (status, parsed JSON answer or text). Raises OSError when nothing answers."""
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode("utf-8"), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            status, raw = int(answer.status), answer.read()
    except urllib.error.HTTPError as error:
        status, raw = int(error.code), error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def free_port() -> int:
    """A TCP port free on loopback now (the server binds it a moment later)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""  # no /proc (macOS): liveness falls back to the pid alone


def log_tail(log: Path, lines: int = 5) -> str:
    """The last lines of a server's log, on one line, for an error message."""
    try:
        text = log.read_text(errors="replace").strip().splitlines()[-lines:]
    except OSError:
        text = []
    return " | ".join(text) or "(none)"


def container_tail(container_id: str) -> str:
    """The last lines of a container's output, on one line."""
    return " | ".join(container_logs(container_id).strip().splitlines()) or "(none)"
