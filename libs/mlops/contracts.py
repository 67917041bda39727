"""The records that pass between pipeline steps, as typed models both producer and consumer import.

- `Evaluation`: what evaluate writes for a model on the test split (problem type, metrics, rows);
  champion/challenger and register read it, and so can monitoring and batch prediction.
- `Decision`: what champion/challenger decides (register or not, both scores and why); register
  reads it, and the registry keeps it with the version.
- `Registration`: what register did: the new version, or why nothing was registered.

Each is a pydantic model with unknown keys rejected. `read(uri)` and `write(uri)` go through
`mlops.storage` (atomic writes; local paths and URIs); a file that is missing, not JSON or not the
contract raises ContractError naming the file and the field. The JSON keeps the keys the pipeline
has always written (the CLI's lineage and reports read them from the artifacts' metadata).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from mlops import storage
from mlops.metrics import ProblemType
from mlops.problems import problems


class ContractError(ValueError):
    """A record file is missing, is not JSON, or does not match its contract. The message names the file and field."""


class _Record(BaseModel):
    # Unknown keys mean a producer and a consumer disagree about the contract: fail loudly.
    model_config = ConfigDict(extra="forbid")
    what: ClassVar[str] = "record"  # how messages name the record

    @classmethod
    def from_json(cls, data: Any, where: str | None = None) -> Self:
        """Validate a parsed JSON document (or return a record as is); `where` prefixes error messages."""
        where = where or cls.what
        if isinstance(data, cls):
            return data
        if not isinstance(data, Mapping):
            raise ContractError(f"{where}: must hold a JSON object, got {type(data).__name__}")
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            found = "; ".join(problems(error, unknown_key="unknown key (not part of the contract)"))
        raise ContractError(f"{where}: {found}")  # outside the except: no chained pydantic traceback

    @classmethod
    def read(cls, uri: str) -> Self:
        """The record in the JSON file `uri` (local path or URI)."""
        try:
            text = storage.read_text(uri)
        except storage.StorageError as error:
            raise ContractError(f"{cls.what}: {error}") from None
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ContractError(f"{cls.what} {uri}: not valid JSON: {error}") from None
        return cls.from_json(data, f"{cls.what} {uri}")

    def to_json(self) -> dict[str, Any]:
        """The record as the JSON document written to disk and into artifact metadata."""
        return self.model_dump(mode="python")  # python mode: a NaN score stays a float

    def write(self, uri: str) -> None:
        """Write the record as indented JSON to `uri`, atomically."""
        storage.write_text(uri, json.dumps(self.to_json(), indent=2) + "\n")


class Evaluation(_Record):
    """A model's metrics on one split, as evaluate writes them (`mlops.metrics` names)."""

    what: ClassVar[str] = "evaluation"

    problem_type: ProblemType
    metrics: dict[str, float]
    rows: int = Field(ge=1)

    @field_validator("metrics", mode="before")
    @classmethod
    def _numbers(cls, value: Any) -> Any:
        # Strict on purpose: a metric written as text or true/false is a producer bug, not data.
        if isinstance(value, Mapping):
            if not value:
                raise PydanticCustomError(
                    "no_metrics", "no metrics: a model is registered only after it passes evaluation"
                )
            bad = {name: v for name, v in value.items() if isinstance(v, bool) or not isinstance(v, int | float)}
            if bad:
                raise PydanticCustomError("metric_type", "metrics must be numbers, got {bad}", {"bad": str(bad)})
        return value


# The decision's key `register` (what the pipeline has always written) is also the name of ABCMeta's
# `register` method, which pydantic models inherit: without an explicit Field() pydantic would take
# that method as the field's default and never report a missing `register`. Nothing registers
# virtual subclasses of a record, so shadowing it is harmless, and its warning is silenced here.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message='Field name "register" in "Decision" shadows')

    class Decision(_Record):
        """The outcome of champion/challenger (docs/training-pipeline.md)."""

        what: ClassVar[str] = "decision"

        register: StrictBool = Field()  # strict: the text "false" must not register a model
        metric: str
        higher_is_better: bool
        margin: float = Field(ge=0)
        challenger: float  # NaN when the metric is undefined on the test data
        champion: float | None = None  # None: no champion, or its metric is undefined
        champion_version: str | None = None
        reason: str = ""


class Registration(_Record):
    """What register did: the new version's record, or (`registered` false) why nothing was registered.

    A registered record carries the version's fields (`mlops.registry.ModelVersion` without the
    evaluation); one that registered nothing carries only `registered`, `registry_uri` and `reason`.
    """

    what: ClassVar[str] = "registration"
    _SKIPPED_KEYS: ClassVar[tuple[str, ...]] = ("registered", "registry_uri", "reason")

    registered: StrictBool
    registry_uri: str
    reason: str = ""
    model_name: str | None = None
    version: str | None = None
    aliases: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(default_factory=dict)
    bundle_uri: str | None = None
    created_at: str | None = None
    resource_name: str | None = None  # Vertex AI only
    description: str = ""

    @model_validator(mode="after")
    def _a_version_names_itself(self) -> Registration:
        missing = [key for key in ("model_name", "version", "bundle_uri") if not getattr(self, key)]
        if self.registered and missing:
            raise ValueError(f"a registered version needs {', '.join(missing)}")
        return self

    def to_json(self) -> dict[str, Any]:
        """The flat JSON register has always written: version fields, or registered/registry_uri/reason."""
        document = super().to_json()
        if self.registered:
            document.pop("reason")
            return document
        return {key: document[key] for key in self._SKIPPED_KEYS}
