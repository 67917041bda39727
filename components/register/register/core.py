"""Register: put a model that passed evaluation and won champion/challenger into the registry.

The registry is local (a folder or gs:// URI) or Vertex AI (`vertex://PROJECT/LOCATION`), opened
with `mlops.registry.open_registry`; both register atomically. The new version gets the
evaluation's metrics, the evaluation and the decision as its imported evaluation, labels (the
configured ones plus `problem_type`), and the `default` alias, since it beat the champion.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from mlops.contracts import ContractError, Decision, Evaluation, Registration
from mlops.model_bundle import BundleError, read_bundle, write_model_card
from mlops.registry import ModelVersion, RegistryError, open_registry

log = logging.getLogger("register")
_RecordT = TypeVar("_RecordT", Evaluation, Decision)


class RegisterError(Exception):
    """Bad input to champion/challenger or register. The message names the file, key, model or value."""


def read_record(kind: type[_RecordT], uri: str) -> _RecordT:
    """The `kind` record (Evaluation, Decision) in the file `uri`; RegisterError names the file and field."""
    try:
        return kind.read(uri)
    except ContractError as error:
        raise RegisterError(str(error)) from None


def as_record(kind: type[_RecordT], data: _RecordT | Mapping[str, Any]) -> _RecordT:
    """`data` checked against the `kind` contract; RegisterError names the field."""
    try:
        return kind.from_json(data)
    except ContractError as error:
        raise RegisterError(str(error)) from None


def register_model(
    bundle_uri: str,
    evaluation: Evaluation | Mapping[str, Any],
    decision: Decision | Mapping[str, Any],
    registry_uri: str,
    model_name: str,
    labels: Mapping[str, Any] | None = None,
    serving_image: str = "",
    bundle_path: str | None = None,
    serving_check: Mapping[str, Any] | None = None,
) -> ModelVersion | None:
    """Register the bundle at `bundle_uri` if `decision.register` is true; returns the new version.

    `bundle_path` is where this process reads the same bundle, when that differs from the URI the
    registry records (in a Vertex AI pipeline: the artifact's `/gcs/...` path for its gs:// URI).
    `serving_check` (serve.check's result) goes into the version's evaluation record and, with the
    test metrics, into the bundle's model card before the registry copies or points at it.

    Refuses (RegisterError) an evaluation or decision that is not its contract (mlops.contracts:
    e.g. no metrics, no boolean `register`), a bundle that does not load or whose problem type
    differs from the evaluation's, and anything the registry refuses (names, labels). Returns None,
    registering nothing, when the challenger lost.
    """
    evaluation, decision = as_record(Evaluation, evaluation), as_record(Decision, decision)
    if not decision.register:
        log.info("not registering %s: %s", model_name, decision.reason or "the challenger lost")
        return None
    try:
        info = read_bundle(bundle_path or bundle_uri).info
    except BundleError as error:
        raise RegisterError(f"model: {error}") from None
    if info.problem_type != evaluation.problem_type:
        raise RegisterError(
            f"{bundle_uri}: the bundle is a {info.problem_type} model but the evaluation is {evaluation.problem_type}"
        )
    record = {**evaluation.to_json(), "decision": decision.to_json()}
    if serving_check is not None:
        record["serving_check"] = dict(serving_check)
        write_model_card(bundle_path or bundle_uri, info, evaluation.metrics, dict(serving_check))
    try:
        registry = open_registry(registry_uri, serving_image=serving_image)
        version = registry.register(
            model_name,
            bundle_uri,
            metrics=evaluation.metrics,
            labels={**dict(labels or {}), "problem_type": evaluation.problem_type},
            make_default=True,
            description=decision.reason,
            evaluation=record,
        )
    except RegistryError as error:
        raise RegisterError(f"registry {registry_uri}: {error}") from None
    log.info("registered %s version %s (aliases %s)", model_name, version.version, ", ".join(version.aliases))
    return version


def registration_record(version: ModelVersion | None, registry_uri: str, decision: Decision) -> Registration:
    """The record the register step writes: what was registered where, or why nothing was."""
    if version is None:
        return Registration(registered=False, registry_uri=registry_uri, reason=decision.reason)
    fields = version.to_dict()
    fields.pop("evaluation", None)  # the registry keeps it; the record points at the version
    return Registration(registered=True, registry_uri=registry_uri, **fields)
