"""The two pipeline steps as file-level calls, shared by the KFP wrappers and the CLI.

Each reads its records from files (mlops.contracts), calls `register.champion` or
`register.core`, and returns the record the step writes: the Decision, or the Registration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mlops import storage
from mlops.contracts import Decision, Evaluation, Registration
from mlops.model_bundle import BundleError, StoredBundle, read_bundle
from mlops.registry import RegistryError, open_registry
from register.champion import decide
from register.core import RegisterError, read_record, register_model, registration_record


def run_champion_challenger(
    model_uri: str,
    test_path: str,
    evaluation_path: str,
    registry_uri: str,
    model_name: str,
    metric: str,
    margin: float = 0.0,
) -> Decision:
    """Decide champion/challenger for the bundle at `model_uri`."""
    evaluation = read_record(Evaluation, evaluation_path)
    challenger = _read_challenger(model_uri)
    info = challenger.info
    if info.problem_type != evaluation.problem_type:
        raise RegisterError(
            f"{model_uri}: the bundle is a {info.problem_type} model but the evaluation is {evaluation.problem_type}"
        )
    try:
        registry = open_registry(registry_uri)
    except RegistryError as error:
        raise RegisterError(f"registry_uri: {error}") from None
    return decide(evaluation.metrics, test_path, registry, model_name, metric, margin, info, challenger.model_sha256)


def run_register(
    model_path: str,
    model_uri: str,
    evaluation_path: str,
    decision_path: str,
    registry_uri: str,
    model_name: str,
    labels: Mapping[str, Any] | None = None,
    serving_image: str = "",
    serving_check_path: str | None = None,
) -> Registration:
    """Register the bundle if the decision says so; returns the registration record.

    `model_path` is where this process reads the bundle; `model_uri` is what the registry records
    (the same for local files; `/gcs/...` and `gs://...` for a KFP artifact on Vertex AI).
    """
    evaluation = read_record(Evaluation, evaluation_path)
    decision = read_record(Decision, decision_path)
    serving_check = _read_json(serving_check_path) if serving_check_path else None
    version = register_model(
        model_uri, evaluation, decision, registry_uri, model_name, labels, serving_image,
        bundle_path=model_path, serving_check=serving_check,
    )  # fmt: skip
    return registration_record(version, registry_uri, decision)


def _read_challenger(model_uri: str) -> StoredBundle:
    try:
        return read_bundle(model_uri)
    except BundleError as error:
        raise RegisterError(f"model: {error}") from None


def _read_json(path: str) -> dict[str, Any]:
    """The serving check's record; RegisterError names the file if it is not a JSON object."""
    try:
        document = json.loads(storage.read_bytes(path))
    except (storage.StorageError, ValueError) as error:
        raise RegisterError(f"serving_check: {path}: {error}") from None
    if not isinstance(document, dict):
        raise RegisterError(f"serving_check: {path}: expected a JSON object")
    return document
