"""The server's settings, read from the environment when it starts (never at import).

Vertex AI sets the AIP_* variables on the container; the image sets none of them, so a local run
gets the defaults of serve.api. Every problem is reported with the variable's name and value.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from serve import api

N = TypeVar("N", int, float)


class SettingsError(Exception):
    """An environment variable has a value the server cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Everything the server reads from its environment."""

    storage_uri: str
    port: int = api.DEFAULT_PORT
    health_route: str = api.DEFAULT_HEALTH_ROUTE
    predict_route: str = api.DEFAULT_PREDICT_ROUTE
    workers: int = 1
    request_log_dir: str = ""
    request_log_rate: float = 0.1
    request_log_batch: int = 1000
    request_log_flush_seconds: float = 60.0
    canary_uri: str = ""  # a second bundle, answering `canary_traffic` percent of the requests
    canary_traffic: int = 0
    host: str = "0.0.0.0"  # all interfaces: Vertex AI's front end connects from outside the container


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which containers' cpusets narrow)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def read_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings in `environ` (default: os.environ); SettingsError names the first bad variable."""
    env = os.environ if environ is None else environ
    storage_uri = env.get(api.STORAGE_URI_ENV, "").strip()
    if not storage_uri:
        raise SettingsError(f"{api.STORAGE_URI_ENV} is not set: it must name the model bundle (gs:// or a folder)")
    canary_uri, canary_traffic = _canary(env)
    return Settings(
        storage_uri=storage_uri,
        port=_number(env, api.PORT_ENV, api.DEFAULT_PORT, int, 1, 65535),
        health_route=_route(env, api.HEALTH_ROUTE_ENV, api.DEFAULT_HEALTH_ROUTE),
        predict_route=_route(env, api.PREDICT_ROUTE_ENV, api.DEFAULT_PREDICT_ROUTE),
        workers=_number(env, api.WORKERS_ENV, available_cpus(), int, 1, 256),
        request_log_dir=env.get(api.REQUEST_LOG_DIR_ENV, "").strip(),
        request_log_rate=_number(env, api.REQUEST_LOG_RATE_ENV, 0.1, float, 0.0, 1.0),
        request_log_batch=_number(env, api.REQUEST_LOG_BATCH_ENV, 1000, int, 1, 1_000_000),
        request_log_flush_seconds=_number(env, api.REQUEST_LOG_FLUSH_ENV, 60.0, float, 0.1, 86_400.0),
        canary_uri=canary_uri,
        canary_traffic=canary_traffic,
    )


def _canary(env: Mapping[str, str]) -> tuple[str, int]:
    """The canary's bundle and share: both set, or neither (a share without a bundle is a mistake)."""
    uri = env.get(api.CANARY_URI_ENV, "").strip()
    traffic = _number(env, api.CANARY_TRAFFIC_ENV, 0, int, 0, 99)
    if bool(uri) != bool(traffic):
        names = (api.CANARY_URI_ENV, api.CANARY_TRAFFIC_ENV)
        given, missing = names if uri else names[::-1]
        raise SettingsError(f"{given} is set but {missing} is not: a canary needs its bundle and its share (1-99)")
    return uri, traffic


def _number(env: Mapping[str, str], name: str, default: N, kind: Callable[[str], N], low: N, high: N) -> N:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not {'an integer' if kind is int else 'a number'}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={raw!r} is out of range: it must be between {low} and {high}")
    return value


def _route(env: Mapping[str, str], name: str, default: str) -> str:
    route = env.get(name, "").strip() or default
    if not route.startswith("/"):
        raise SettingsError(f"{name}={route!r} must be a path starting with '/'")
    return route
