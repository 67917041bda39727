"""What every model registry offers, and the naming rules they share.

Semantics (docs/training-pipeline.md): a model has a name and numbered versions ("1", "2", ...).
A version has aliases (`default` is the one served and the champion; an alias names one version
at a time), labels, metrics, the imported evaluation and a copy of the bundle. The first version
of a model is always its default. Registering is atomic: a version is visible complete or not at all.
Names, labels and aliases follow Vertex AI's rules in every backend, so a model that registers
locally registers on Vertex AI too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

DEFAULT_ALIAS = "default"
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
ALIAS = re.compile(r"^[a-z][a-zA-Z0-9-]{0,126}[a-z0-9]$")
MAX_LABELS = 64


class RegistryError(Exception):
    """A registry operation failed or was refused. The message names the model, version or value."""


@dataclass
class ModelVersion:
    """One registered version of a model."""

    model_name: str
    version: str
    aliases: list[str]
    labels: dict[str, str]
    metrics: dict[str, float]
    bundle_uri: str  # where the bundle's copy can be loaded from (mlops.model_bundle.load_bundle)
    created_at: str  # RFC 3339
    resource_name: str | None = None  # Vertex AI: projects/P/locations/L/models/ID@VERSION
    description: str = ""
    evaluation: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def is_default(self) -> bool:
        return DEFAULT_ALIAS in self.aliases

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable record of this version."""
        return asdict(self)


class ModelRegistry(Protocol):
    """A model registry: local (`LocalModelRegistry`) or Vertex AI (`VertexModelRegistry`)."""

    def register(
        self,
        model_name: str,
        bundle_uri: str,
        *,
        metrics: Mapping[str, float],
        labels: Mapping[str, str] | None = None,
        aliases: Sequence[str] = (),
        make_default: bool = True,
        description: str = "",
        evaluation: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Register the bundle at `bundle_uri` as a new version of `model_name`, atomically."""
        ...

    def get(self, model_name: str, alias: str = DEFAULT_ALIAS) -> ModelVersion | None:
        """The version that holds `alias`, or None if the model or the alias does not exist."""
        ...

    def get_version(self, model_name: str, version: str) -> ModelVersion:
        """One version by number; RegistryError if it does not exist."""
        ...

    def list_versions(self, model_name: str) -> list[ModelVersion]:
        """Every version of the model, oldest first (empty if the model does not exist)."""
        ...

    def set_alias(self, model_name: str, version: str, alias: str) -> ModelVersion:
        """Point `alias` at `version` (moving it away from any other version); returns the version."""
        ...


def check_model_name(name: str) -> str:
    """`name` if Vertex AI and the local layout both accept it as a model name; else RegistryError."""
    if not isinstance(name, str) or not MODEL_NAME.match(name):
        raise RegistryError(
            f"model name {name!r} is not valid: use 1-128 letters, digits, '_' or '-', starting with a letter or digit"
        )
    return name


def check_labels(labels: Mapping[str, str] | None) -> dict[str, str]:
    """The labels as a dict if they follow GCP's label rules; else RegistryError naming the label."""
    labels = dict(labels or {})
    if len(labels) > MAX_LABELS:
        raise RegistryError(f"labels: {len(labels)} labels given, at most {MAX_LABELS} are allowed")
    for key, value in labels.items():
        if not isinstance(key, str) or not LABEL_KEY.match(key):
            raise RegistryError(
                f"label key {key!r} is not valid: 1-63 lowercase letters, digits, '_' or '-', starting with a letter"
            )
        if not isinstance(value, str) or not LABEL_VALUE.match(value):
            raise RegistryError(f"label {key}={value!r}: the value must be 0-63 lowercase letters, digits, '_' or '-'")
    return labels


def check_aliases(aliases: Sequence[str], make_default: bool) -> list[str]:
    """The aliases to give a new version (`default` added when make_default); RegistryError if invalid."""
    if isinstance(aliases, str):
        raise RegistryError(f"aliases must be a list of aliases, got the string {aliases!r}")
    result = list(dict.fromkeys(aliases))
    for alias in result:
        check_alias(alias)
    if make_default and DEFAULT_ALIAS not in result:
        result.append(DEFAULT_ALIAS)
    return result


def check_alias(alias: str) -> str:
    """`alias` if it is a valid version alias (Vertex AI's rule, and not a number); else RegistryError."""
    if not isinstance(alias, str) or not ALIAS.match(alias) or alias.isdigit():
        raise RegistryError(
            f"alias {alias!r} is not valid: 2-128 characters, letters, digits or '-', starting with a "
            "lowercase letter and ending with a lowercase letter or digit"
        )
    return alias


def label_value(text: str) -> str:
    """`text` made into a valid label value (lowercase, other characters as '-', at most 63)."""
    return re.sub(r"[^a-z0-9_-]", "-", str(text).lower())[:63]


def check_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """The metrics as name -> float; RegistryError naming a value that is not a number."""
    result: dict[str, float] = {}
    for name, value in dict(metrics or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RegistryError(f"metric {name!r}: {value!r} is not a number")
        result[str(name)] = float(value)
    return result
