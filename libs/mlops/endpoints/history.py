"""The traffic history of a Vertex AI endpoint, kept so that `rollback` can restore the split before.

Why a record of our own, one JSON file per endpoint under `<storage_root>/endpoints/vertex/`:
Vertex AI keeps only the current split, and a deployed model that `promote` undeployed is gone
from the endpoint, so the API cannot say what to go back to. Labels (63 lowercase characters per
value) cannot hold a split with model versions and machine settings, and a description is free
text people edit in the console. The storage root is the team's shared bucket in `dev`/`prod`,
so whoever rolls back sees the same history as whoever deployed; writes are atomic.

A state is what the endpoint served after one change: every deployed model with its version,
resource name, machine settings and traffic. `rollback` restores the state before the newest one
and then drops the newest, so repeated rollbacks walk further back (an undo stack).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from mlops import storage
from mlops.endpoints.base import DeployedModel, EndpointError, now, read_json, write_json

MAX_STATES = 20  # older states are dropped: nobody rolls back twenty changes


class History:
    """The recorded states of one endpoint, oldest first."""

    def __init__(self, root: str, endpoint: str) -> None:
        self.uri = storage.join(root, f"{endpoint}.json")
        self.endpoint = endpoint
        data = read_json(self.uri) or {}
        self.states: list[dict[str, Any]] = list(data.get("states", []))

    @staticmethod
    def state(action: str, models: list[DeployedModel]) -> dict[str, Any]:
        """A state to record: what changed (for people) and the models with their traffic."""
        return {"at": now(), "action": action, "models": [asdict(model) for model in models]}

    @staticmethod
    def split_of(state: dict[str, Any]) -> dict[str, int]:
        """Deployed model id -> traffic of a recorded state."""
        return {model["id"]: int(model["traffic"]) for model in state["models"]}

    def latest_split(self) -> dict[str, int] | None:
        """The split of the newest recorded state; None when nothing is recorded."""
        return self.split_of(self.states[-1]) if self.states else None

    def record(self, resource_name: str, action: str, before: list[DeployedModel], after: list[DeployedModel]) -> None:
        """Append the state after a change, and first the state before it if it is not the last one
        recorded (the endpoint is new to the history, or was changed outside mlops). An endpoint
        that served nothing before is no state to roll back to: that is `mlops undeploy`."""
        if before and self.latest_split() != {model.id: model.traffic for model in before}:
            self.states.append(self.state("found", before))
        self.states.append(self.state(action, after))
        self.save(resource_name)

    def previous(self, live: dict[str, int]) -> dict[str, Any]:
        """The state to roll back to; EndpointError when there is none or the endpoint has drifted."""
        if len(self.states) < 2:
            raise EndpointError(
                f"endpoint {self.endpoint!r}: no earlier traffic split is recorded in {self.uri}; "
                "nothing to roll back to"
            )
        if self.latest_split() != live:
            raise EndpointError(
                f"endpoint {self.endpoint!r} was changed outside mlops: it serves {live}, the last recorded "
                f"split is {self.latest_split()} ({self.uri}); set the split by hand, or deploy again"
            )
        return self.states[-2]

    def replace_latest_two(self, resource_name: str, restored: dict[str, Any]) -> None:
        """After a rollback: the newest state is gone and the one before is now `restored`
        (the same versions and split, under the ids the redeployed models got)."""
        self.states[-2:] = [restored]
        self.save(resource_name)

    def save(self, resource_name: str) -> None:
        """Write the record (atomically), keeping the newest MAX_STATES states."""
        self.states = self.states[-MAX_STATES:]
        write_json(self.uri, {"endpoint": self.endpoint, "resource_name": resource_name, "states": self.states})
