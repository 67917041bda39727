"""What both deployment targets share: names, the records they keep, errors and traffic arithmetic.

An endpoint is a name people use (`churn-endpoint`) with one or more deployed model versions
behind it. On Vertex AI it is an Endpoint (found by display name) whose traffic is split between
deployed models; locally it is one model server process (or container) on this machine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mlops import storage

ENDPOINT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
TARGETS = ("local", "vertex")


class EndpointError(Exception):
    """A deployment operation was refused or failed; the message names the endpoint, model or value."""


def check_endpoint_name(name: str) -> str:
    """`name` if it is a valid endpoint name (also used as a file name); else EndpointError."""
    if not isinstance(name, str) or not ENDPOINT_NAME.match(name):
        raise EndpointError(
            f"endpoint name {name!r} is not valid: use 1-128 letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def parse_model_ref(text: str) -> tuple[str, str | None]:
    """`MODEL:VERSION` -> (model, version); `MODEL` alone -> (model, None): the `default` version."""
    name, _, version = str(text).partition(":")
    if not name or (version and not version.isdigit()) or text.endswith(":"):
        raise EndpointError(f"{text!r}: give a registered model as MODEL:VERSION (e.g. churn:3) or MODEL")
    return name, version or None


def check_traffic(percent: int) -> int:
    """A canary share: 1-100 percent."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 1 <= percent <= 100:
        raise EndpointError(f"traffic {percent!r}: give a whole percentage from 1 to 100")
    return percent


def canary_split(current: Mapping[str, int], new_key: str, percent: int) -> dict[str, int]:
    """The split after adding `new_key` at `percent`: the others keep the rest in proportion.

    Shares are whole percentages (Vertex AI's rule) that add up to 100: each old share is scaled
    down and rounded down, and the points lost to rounding go to the largest remainders first
    (ties: the order of `current`). Models with no traffic keep none.
    """
    check_traffic(percent)
    rest, total = 100 - percent, sum(current.values())
    split = {key: 0 for key in current}
    if total and rest:
        exact = {key: share * rest / total for key, share in current.items()}
        split = {key: int(value) for key, value in exact.items()}
        by_remainder = sorted(exact, key=lambda key: exact[key] - split[key], reverse=True)
        for key in by_remainder[: rest - sum(split.values())]:
            split[key] += 1
    split[new_key] = percent if total else 100
    return split


def now() -> str:
    """The current time, RFC 3339 in UTC."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class DeployedModel:
    """One model version behind an endpoint, with its share of the traffic."""

    id: str  # Vertex AI: the deployed model id; local: the process id or container id
    model_name: str
    version: str
    traffic: int
    model_resource: str = ""  # Vertex AI: projects/P/locations/L/models/ID@VERSION
    machine_type: str = ""
    min_replicas: int = 0
    max_replicas: int = 0
    created_at: str = ""


@dataclass
class Endpoint:
    """An endpoint as listed: where it is, its state, and the models behind it."""

    name: str
    target: str  # local | vertex
    address: str  # Vertex AI: the resource name; local: the server's URL
    models: list[DeployedModel] = field(default_factory=list)
    status: str = ""  # local: healthy, unhealthy or stopped

    @property
    def split(self) -> dict[str, int]:
        """Deployed model id -> percent of the traffic."""
        return {model.id: model.traffic for model in self.models}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form."""
        return asdict(self)


def read_json(uri: str) -> dict[str, Any] | None:
    """A JSON record, or None when there is none; a damaged one is an EndpointError naming the file."""
    if not storage.exists(uri):
        return None
    try:
        data = json.loads(storage.read_text(uri))
    except json.JSONDecodeError as error:
        raise EndpointError(f"{uri}: the endpoint record is not valid JSON ({error}); remove it or fix it") from None
    if not isinstance(data, dict):
        raise EndpointError(f"{uri}: the endpoint record is not a JSON object; remove it or fix it")
    return data


def write_json(uri: str, data: Mapping[str, Any]) -> None:
    """Write a record atomically (mlops.storage creates a local folder; object stores have none)."""
    storage.write_text(uri, json.dumps(data, indent=2, sort_keys=True) + "\n")
