"""The parameters a compiled pipeline spec (KFP IR YAML) declares, and their defaults.

A spec that something other than `mlops run` submits (the trigger functions, a Vertex AI schedule
made in the console) gets no parameter values from a config: it must carry them itself as the
root's parameter defaults. `with_defaults` writes them in (`mlops compile --with-defaults`), and
`missing_parameters` tells a submitter which values a spec still needs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any


def parameters(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Parameter name -> its definition (`parameterType`, optional `defaultValue`, `isOptional`)."""
    root = spec.get("root") or {}
    return dict((root.get("inputDefinitions") or {}).get("parameters") or {})


def defaults(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters the spec gives a default value, with it."""
    return {name: d["defaultValue"] for name, d in parameters(spec).items() if "defaultValue" in d}


def unknown_parameters(spec: Mapping[str, Any], names: Iterable[str]) -> list[str]:
    """Those of `names` the spec does not declare, sorted."""
    declared = parameters(spec)
    return sorted(name for name in names if name not in declared)


def missing_parameters(spec: Mapping[str, Any], given: Iterable[str]) -> list[str]:
    """The declared parameters with no default, not optional and not in `given`, sorted: Vertex AI
    would refuse the job for each."""
    supplied = set(given)
    return sorted(
        name
        for name, definition in parameters(spec).items()
        if name not in supplied and "defaultValue" not in definition and not definition.get("isOptional")
    )


def with_defaults(spec: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `spec` whose root parameters default to `values` (each one must be declared)."""
    if unknown := unknown_parameters(spec, values):
        raise ValueError(f"the spec declares no parameter(s) {unknown}")
    result = copy.deepcopy(dict(spec))
    declared = result["root"]["inputDefinitions"]["parameters"]
    for name, value in values.items():
        declared[name].update(defaultValue=copy.deepcopy(value), isOptional=True)
    return result
