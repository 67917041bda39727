"""Online serving: deploy registered model versions to endpoints, local or on Vertex AI.

    endpoints = VertexEndpoints(project, region, history_root, settings.serving)
    endpoints.deploy(registry.get_version("churn", "3"), "churn-endpoint", traffic=10)  # a canary
    endpoints.promote("churn-endpoint")     # all traffic to the newest model, undeploy the others
    endpoints.rollback("churn-endpoint")    # the split before the last change, redeploying if needed

    local = LocalEndpoints(".mlops/data/endpoints/local", command=("python", "-m", "serve"))
    local.deploy(version, "churn-endpoint")  # a model server process on this machine, once healthy

docs/deploying.md describes both targets; `mlops.endpoints.base` the names and records they share.
"""

from __future__ import annotations

from mlops.endpoints.base import TARGETS, DeployedModel, Endpoint, EndpointError, parse_model_ref
from mlops.endpoints.local import LocalEndpoints
from mlops.endpoints.vertex import VertexEndpoints

__all__ = [
    "TARGETS",
    "DeployedModel",
    "Endpoint",
    "EndpointError",
    "LocalEndpoints",
    "VertexEndpoints",
    "parse_model_ref",
]
