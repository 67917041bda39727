"""Where a model server listens and answers: the one definition the server and the registry share.

Vertex AI starts a model's container with AIP_HTTP_PORT, AIP_HEALTH_ROUTE and AIP_PREDICT_ROUTE
set from the container spec the model was uploaded with; without a spec it falls back to routes of
its own (`/v1/endpoints/ENDPOINT/deployedModels/ID:predict`) that our server does not serve. So
registration uploads every version with this spec, and the server (components/serve) uses the same
values as its defaults when the variables are unset (a local run).
"""

from __future__ import annotations

from dataclasses import dataclass

PORT = 8080
HEALTH_ROUTE = "/health"
PREDICT_ROUTE = "/predict"
# Our own variables (not Vertex AI's): where the server records a sample of requests and responses
# as Parquet files for monitoring, and which share of requests. On Vertex AI the endpoint's
# request-response logging to BigQuery does this instead (mlops.endpoints.vertex).
REQUEST_LOG_DIR_ENV = "MLOPS_REQUEST_LOG_DIR"
REQUEST_LOG_RATE_ENV = "MLOPS_REQUEST_LOG_SAMPLE_RATE"
# A local canary (mlops.endpoints.local): a second bundle the same server answers with, for this
# whole percentage (1-99) of requests. Vertex AI splits traffic between deployed models itself.
CANARY_URI_ENV = "MLOPS_SERVE_CANARY_URI"
CANARY_TRAFFIC_ENV = "MLOPS_SERVE_CANARY_TRAFFIC"


@dataclass(frozen=True)
class ServingContainer:
    """The container spec a model version is registered with (Vertex AI `ModelContainerSpec`)."""

    image: str
    port: int = PORT
    health_route: str = HEALTH_ROUTE
    predict_route: str = PREDICT_ROUTE

    def upload_arguments(self) -> dict[str, object]:
        """The `aiplatform.Model.upload` arguments that set this spec."""
        return {
            "serving_container_image_uri": self.image,
            "serving_container_ports": [self.port],
            "serving_container_health_route": self.health_route,
            "serving_container_predict_route": self.predict_route,
        }
