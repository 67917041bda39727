"""The Vertex AI Model Registry, through the official SDK (google-cloud-aiplatform).

A model is a Vertex AI Model found by display name; its versions are Vertex AI model versions.
Registering is three calls, ordered so that no alias ever points at an incomplete version:
1. `models:upload` of the bundle's gs:// folder as a new version (of the existing model, through
   `parent_model`), with labels and description, moving no alias;
2. `evaluations:import` of the metrics onto that version (`metrics` in Vertex AI's schema names,
   our own metric names and the evaluation record in `metadata`);
3. `mergeVersionAliases` moving the requested aliases, `default` included, to it in one call.
If step 2 or 3 fails, the new version (or the model, when it was the first version) is deleted
and RegistryError raised. The project's credentials and API endpoint come from the environment
and `aiplatform.init` (tests point that at `mlops.testing.fake_vertex`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from mlops.registry.base import (
    DEFAULT_ALIAS,
    ModelVersion,
    RegistryError,
    check_alias,
    check_aliases,
    check_labels,
    check_metrics,
    check_model_name,
)
from mlops.serving_contract import ServingContainer

# SDK imports are inside the methods: importing aiplatform takes seconds, and a local registry
# never needs it. Those marked `no-infer-dep` ship with google-cloud-aiplatform (inferred here).
log = logging.getLogger(__name__)
SCHEMAS = "gs://google-cloud-aiplatform/schema/modelevaluation"
METRICS_SCHEMA = {
    "classification": f"{SCHEMAS}/classification_metrics_1.0.0.yaml",
    "regression": f"{SCHEMAS}/regression_metrics_1.0.0.yaml",
}
# Our metric names -> the field names of Vertex AI's evaluation schemas.
SCHEMA_NAMES = {
    "auc": "auRoc",
    "log_loss": "logLoss",
    "rmse": "rootMeanSquaredError",
    "mae": "meanAbsoluteError",
    "r2": "rSquared",
}


class VertexModelRegistry:
    """Models in the Vertex AI Model Registry of one project and location."""

    def __init__(self, project: str, location: str, *, serving_image: str = "", credentials: Any = None) -> None:
        self.project, self.location = project, location
        self.serving_image = serving_image
        self.credentials = credentials

    def __repr__(self) -> str:
        return f"VertexModelRegistry('vertex://{self.project}/{self.location}')"

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
        """Upload `bundle_uri` (gs:// or /gcs/) as a new version, import its evaluation, move aliases."""
        from google.api_core import exceptions  # pants: no-infer-dep
        from google.cloud import aiplatform

        check_model_name(model_name)
        checked_labels, checked_metrics = check_labels(labels), check_metrics(metrics)
        wanted = check_aliases(aliases, make_default)
        if not self.serving_image:
            raise RegistryError(f"{self!r}: a serving image is needed to register {model_name!r} on Vertex AI")
        parent = self._find(model_name)
        try:
            model = aiplatform.Model.upload(
                # The image and the routes it serves: without routes Vertex AI would call its own defaults.
                **ServingContainer(self.serving_image).upload_arguments(),
                artifact_uri=gcs_uri(bundle_uri),
                display_name=model_name,
                parent_model=parent.resource_name if parent else None,
                is_default_version=parent is None,  # aliases move in step 3, once the version is complete
                labels=checked_labels,
                description=description or None,
                **self._where(),
            )
        except exceptions.GoogleAPICallError as error:
            raise RegistryError(f"{self!r}: uploading {model_name!r} from {bundle_uri} failed: {error}") from None
        try:
            self._import_evaluation(model, checked_metrics, dict(evaluation or {}))
            if wanted:
                model.versioning_registry.add_version_aliases(wanted, version=model.version_id)
        except exceptions.GoogleAPICallError as error:
            self._discard(model, first=parent is None)
            raise RegistryError(f"{self!r}: registering {model_name!r} failed, version discarded: {error}") from None
        return self.get_version(model_name, model.version_id)

    def get(self, model_name: str, alias: str = DEFAULT_ALIAS) -> ModelVersion | None:
        """The version holding `alias`, or None when the model or the alias does not exist."""
        from google.api_core import exceptions  # pants: no-infer-dep
        from google.cloud import aiplatform

        model = self._find(check_model_name(model_name))
        if model is None:
            return None
        try:
            return self._version(aiplatform.Model(f"{model.resource_name}@{alias}", **self._where()))
        except exceptions.NotFound:
            return None

    def get_version(self, model_name: str, version: str) -> ModelVersion:
        """Version `version` of `model_name`; RegistryError if it does not exist."""
        found = self.get(model_name, str(version)) if str(version).isdigit() else None
        if found is None:
            raise RegistryError(f"{self!r}: model {model_name!r} has no version {version!r}")
        return found

    def list_versions(self, model_name: str) -> list[ModelVersion]:
        """Every version of `model_name`, oldest first; empty if there is no such model."""
        model = self._find(check_model_name(model_name))
        if model is None:
            return []
        resources = model.api_client.list_model_versions(name=model.resource_name)
        versions = [self._version_from(model, resource) for resource in resources]
        return sorted(versions, key=lambda v: int(v.version))

    def set_alias(self, model_name: str, version: str, alias: str) -> ModelVersion:
        """Point `alias` at `version` (Vertex AI takes it from any other version)."""
        check_alias(alias)
        target = self.get_version(model_name, version)
        model = self._find(model_name)
        assert model is not None  # get_version found it
        model.versioning_registry.add_version_aliases([alias], version=target.version)
        return self.get_version(model_name, version)

    # Internals.
    def _where(self) -> dict[str, Any]:
        return {"project": self.project, "location": self.location, "credentials": self.credentials}

    def _find(self, model_name: str) -> Any:
        """The Vertex AI Model (its default version) with this display name, or None."""
        from google.cloud import aiplatform

        found = aiplatform.Model.list(filter=f'display_name="{model_name}"', **self._where())
        if len(found) > 1:
            names = ", ".join(m.resource_name for m in found)
            raise RegistryError(f"{self!r}: {len(found)} models are named {model_name!r} ({names}); rename all but one")
        return found[0] if found else None

    def _import_evaluation(self, model: Any, metrics: dict[str, float], evaluation: dict[str, Any]) -> None:
        from google.cloud import aiplatform
        from google.protobuf import json_format, struct_pb2  # pants: no-infer-dep

        problem_type = str(evaluation.get("problem_type", ""))
        schema_metrics = {SCHEMA_NAMES[name]: value for name, value in metrics.items() if name in SCHEMA_NAMES}
        metadata = {"metrics": metrics, "evaluation": evaluation, "source": "vertex-mlops"}
        imported = aiplatform.gapic.ModelEvaluation(
            display_name=f"{model.display_name}-v{model.version_id}",
            metrics_schema_uri=METRICS_SCHEMA.get(problem_type, ""),
            metrics=json_format.ParseDict(schema_metrics, struct_pb2.Value()),
            metadata=json_format.ParseDict(metadata, struct_pb2.Value()),
        )
        model.api_client.import_model_evaluation(parent=model.versioned_resource_name, model_evaluation=imported)

    def _discard(self, model: Any, first: bool) -> None:
        """Best effort: remove a version whose registration did not complete."""
        from google.api_core import exceptions  # pants: no-infer-dep

        try:
            if first:
                model.delete()
            else:
                model.versioning_registry.delete_version(model.version_id)
        except exceptions.GoogleAPICallError as error:  # the original error is the one to report
            log.error("could not discard %s after a failed registration: %s", model.versioned_resource_name, error)

    def _version(self, model: Any) -> ModelVersion:
        return self._version_from(model, model.gca_resource)

    def _version_from(self, model: Any, resource: Any) -> ModelVersion:
        """A ModelVersion from a Vertex AI Model resource; metrics from its latest imported evaluation."""
        from google.protobuf import json_format  # pants: no-infer-dep

        versioned = f"{resource.name}@{resource.version_id}"
        evaluations = list(model.api_client.list_model_evaluations(parent=versioned))
        latest = max(evaluations, key=lambda e: e.create_time) if evaluations else None
        metadata = json_format.MessageToDict(type(latest).pb(latest).metadata) if latest is not None else {}
        return ModelVersion(
            model_name=resource.display_name,
            version=str(resource.version_id),
            aliases=sorted(resource.version_aliases),
            labels=dict(resource.labels),
            metrics={k: float(v) for k, v in (metadata.get("metrics") or {}).items()},
            bundle_uri=resource.artifact_uri,
            created_at=resource.version_create_time.isoformat(),
            resource_name=versioned,
            description=resource.description,
            evaluation=metadata.get("evaluation"),
        )


def gcs_uri(bundle_uri: str) -> str:
    """The gs:// URI of a bundle; `/gcs/BUCKET/...` (Vertex AI's mount of GCS) is translated."""
    if bundle_uri.startswith("gs://"):
        return bundle_uri.rstrip("/")
    if bundle_uri.startswith("/gcs/"):
        return "gs://" + bundle_uri[len("/gcs/") :].rstrip("/")
    raise RegistryError(f"{bundle_uri}: Vertex AI registers bundles stored in GCS; give a gs:// (or /gcs/) URI")
