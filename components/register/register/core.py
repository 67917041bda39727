"""Register: put a model that passed evaluation and won champion/challenger into the registry.

The registry is local (a folder or gs:// URI) or Vertex AI (`vertex://PROJECT/LOCATION`), opened
with `mlops.registry.open_registry`; both register atomically. The new version gets the
evaluation's metrics, the evaluation and the decision as its imported evaluation, labels (the
configured ones plus `problem_type`), and the `default` alias, since it beat the champion.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from mlops import storage
from mlops.metrics import PROBLEM_TYPES
from mlops.model_bundle import BundleError, read_bundle
from mlops.registry import ModelVersion, RegistryError, open_registry

log = logging.getLogger("register")


class RegisterError(Exception):
    """Bad input to champion/challenger or register. The message names the file, key, model or value."""


def read_json(uri: str, what: str) -> dict[str, Any]:
    """The JSON object in the file `uri` (`what` names it in errors, e.g. "evaluation")."""
    try:
        document = json.loads(storage.read_text(uri))
    except storage.StorageError as error:
        raise RegisterError(f"{what}: {error}") from None
    except ValueError as error:
        raise RegisterError(f"{what}: {uri} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise RegisterError(f"{what}: {uri} must hold a JSON object, got {type(document).__name__}")
    return document


def check_evaluation(evaluation: Mapping[str, Any], where: str = "evaluation") -> tuple[str, dict[str, float]]:
    """The problem type and metrics of an evaluation record; RegisterError naming the missing key."""
    problem_type = evaluation.get("problem_type")
    if problem_type not in PROBLEM_TYPES:
        raise RegisterError(f"{where}: problem_type must be one of {', '.join(PROBLEM_TYPES)}, got {problem_type!r}")
    metrics = evaluation.get("metrics")
    if not isinstance(metrics, Mapping) or not metrics:
        raise RegisterError(
            f"{where}: no metrics: a model is registered only after it passes evaluation (key 'metrics' is {metrics!r})"
        )
    bad = {
        name: value for name, value in metrics.items() if isinstance(value, bool) or not isinstance(value, int | float)
    }
    if bad:
        raise RegisterError(f"{where}: metrics must be numbers, got {bad}")
    return problem_type, {str(name): float(value) for name, value in metrics.items()}


def register_model(
    bundle_uri: str,
    evaluation: Mapping[str, Any],
    decision: Mapping[str, Any],
    registry_uri: str,
    model_name: str,
    labels: Mapping[str, Any] | None = None,
    serving_image: str = "",
    bundle_path: str | None = None,
) -> ModelVersion | None:
    """Register the bundle at `bundle_uri` if `decision["register"]` is true; returns the new version.

    `bundle_path` is where this process reads the same bundle, when that differs from the URI the
    registry records (in a Vertex AI pipeline: the artifact's `/gcs/...` path for its gs:// URI).

    Refuses (RegisterError) an evaluation without metrics, a decision without a boolean
    `register`, a bundle that does not load or whose problem type differs from the evaluation's,
    and anything the registry refuses (names, labels). Returns None, registering nothing, when the
    challenger lost.
    """
    problem_type, metrics = check_evaluation(evaluation)
    if not isinstance(decision.get("register"), bool):
        raise RegisterError(f"decision: key 'register' must be true or false, got {decision.get('register')!r}")
    if not decision["register"]:
        log.info("not registering %s: %s", model_name, decision.get("reason", "the challenger lost"))
        return None
    try:
        info = read_bundle(bundle_path or bundle_uri).info
    except BundleError as error:
        raise RegisterError(f"model: {error}") from None
    if info.problem_type != problem_type:
        raise RegisterError(
            f"{bundle_uri}: the bundle is a {info.problem_type} model but the evaluation is {problem_type}"
        )
    record = {**dict(evaluation), "decision": dict(decision)}
    try:
        registry = open_registry(registry_uri, serving_image=serving_image)
        version = registry.register(
            model_name,
            bundle_uri,
            metrics=metrics,
            labels={**dict(labels or {}), "problem_type": problem_type},
            make_default=True,
            description=str(decision.get("reason", "")),
            evaluation=record,
        )
    except RegistryError as error:
        raise RegisterError(f"registry {registry_uri}: {error}") from None
    log.info("registered %s version %s (aliases %s)", model_name, version.version, ", ".join(version.aliases))
    return version


def registration_record(version: ModelVersion | None, registry_uri: str, decision: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON written for the register step: what was registered where, or why nothing was."""
    if version is None:
        return {"registered": False, "registry_uri": registry_uri, "reason": decision.get("reason", "")}
    fields = version.to_dict()
    fields.pop("evaluation", None)
    return {"registered": True, "registry_uri": registry_uri, **fields}
