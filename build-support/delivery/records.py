"""What an environment runs now: the deploy record CI writes after a delivery succeeds.

One JSON file per environment under `delivery.deploy_records_uri` (`{env}.json`, plus a copy per
commit under `{env}/{commit}.json`, which `rollback` returns to). It is the base commit of the next
delivery (only what changed since is rebuilt) and it names every image and spec digest deployed, so
an unchanged component keeps its image reference. It is written last, and only when every step
before it succeeded: a failed delivery leaves the old record, and the next one rebuilds its changes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlops import storage


class RecordError(Exception):
    """A deploy record exists but cannot be read. The message names the file."""


class DeployRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str
    commit: str = Field(pattern=r"^[0-9a-f]{40}$")
    build_id: str = ""
    deployed_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    images: dict[str, str] = Field(description="component -> the image reference its steps run")
    specs: dict[str, str] = Field(description="pipeline config name -> sha256 of the compiled spec")


def record_uri(records_uri: str, environment: str) -> str:
    return storage.join(records_uri, f"{environment}.json")


def read_record(records_uri: str, environment: str) -> DeployRecord | None:
    """The environment's record, or None when nothing was ever deployed there (build everything)."""
    uri = record_uri(records_uri, environment)
    if not storage.exists(uri):
        return None
    try:
        return DeployRecord.model_validate_json(storage.read_text(uri))
    except ValidationError as error:
        raise RecordError(f"{uri}: not a deploy record ({error.errors()[0]['msg']}); fix or delete it") from None


def write_record(records_uri: str, record: DeployRecord) -> str:
    """Write the per-commit copy first, then the environment's record: the record is the commit point."""
    text = json.dumps(record.model_dump(), indent=2, sort_keys=True) + "\n"
    storage.write_text(storage.join(records_uri, record.environment, f"{record.commit}.json"), text)
    uri = record_uri(records_uri, record.environment)
    storage.write_text(uri, text)
    return uri


def read_deployed_commit(records_uri: str, environment: str, commit: str) -> DeployRecord:
    """The record written when `commit` was deployed to `environment`."""
    uri = storage.join(records_uri, environment, f"{commit}.json")
    if not storage.exists(uri):
        raise RecordError(f"{commit} was never deployed to {environment!r} (no {uri})")
    return DeployRecord.model_validate_json(storage.read_text(uri))
