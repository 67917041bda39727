"""Model registries with one set of semantics: local (a folder or gs:// URI) and Vertex AI.

    registry = open_registry(".mlops/registry")          # or "gs://bucket/registry"
    registry = open_registry("vertex://my-project/europe-west4", serving_image="...")
    version = registry.register("churn", bundle_uri, metrics={"auc": 0.87}, labels={"team": "risk"})
    champion = registry.get("churn")                     # the version with alias `default`, or None

See `mlops.registry.base` for the semantics both backends keep.
"""

from __future__ import annotations

from typing import Any

from mlops.registry.base import DEFAULT_ALIAS, ModelRegistry, ModelVersion, RegistryError
from mlops.registry.local import LocalModelRegistry
from mlops.registry.vertex import VertexModelRegistry

__all__ = [
    "DEFAULT_ALIAS",
    "LocalModelRegistry",
    "ModelRegistry",
    "ModelVersion",
    "RegistryError",
    "VertexModelRegistry",
    "open_registry",
]


def open_registry(uri: str, *, serving_image: str = "", credentials: Any = None) -> ModelRegistry:
    """The registry at `uri`: `vertex://PROJECT/LOCATION` is Vertex AI; a path or other URI is local.

    `serving_image` (Vertex AI only) is the serving container image of registered versions.
    """
    uri = str(uri).strip()
    if not uri:
        raise RegistryError("registry URI is empty: give a folder, a gs:// URI or vertex://PROJECT/LOCATION")
    if uri.startswith("vertex://"):
        parts = uri[len("vertex://") :].strip("/").split("/")
        if len(parts) != 2 or not all(parts):
            raise RegistryError(f"{uri}: a Vertex AI registry URI is vertex://PROJECT/LOCATION")
        return VertexModelRegistry(parts[0], parts[1], serving_image=serving_image, credentials=credentials)
    return LocalModelRegistry(uri)
