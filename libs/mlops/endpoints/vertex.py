"""Vertex AI endpoints through the official SDK: deploy, canary split, promote, rollback, predict.

An endpoint is found by display name (`aiplatform.Endpoint.list`), or created on first deploy
with request-response logging to BigQuery as `serving.request_logging` says; an existing one has
its logging brought in line with the config (an endpoint PATCH). Each change is recorded in the
endpoint's traffic history (`mlops.endpoints.history`, which says why) after the API accepted it.
Credentials, project and location are passed like `VertexModelRegistry` does; tests point
`aiplatform.init` at `mlops.testing.fake_vertex`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlops.config import RequestLoggingConfig, ServingConfig
from mlops.endpoints.base import DeployedModel, Endpoint, EndpointError, canary_split, check_endpoint_name
from mlops.endpoints.history import History
from mlops.registry import ModelVersion

# SDK imports are inside the methods: importing aiplatform takes seconds, which a local
# deployment never needs (as in mlops.registry.vertex).


class VertexEndpoints:
    """The endpoints of one project and location; histories are kept under `history_root`."""

    def __init__(
        self, project: str, location: str, history_root: str, serving: ServingConfig, *, credentials: Any = None
    ) -> None:
        self.project, self.location, self.history_root = project, location, history_root
        self.serving, self.credentials = serving, credentials

    def __repr__(self) -> str:
        return f"VertexEndpoints('{self.project}/{self.location}')"

    def deploy(self, version: ModelVersion, endpoint_name: str, traffic: int = 100) -> Endpoint:
        """Deploy `version` to the endpoint (created if needed) with `traffic` percent; the models
        already deployed keep the rest in proportion and stay deployed (see `promote`)."""
        check_endpoint_name(endpoint_name)
        ref = f"{version.model_name}:{version.version}"
        if not version.resource_name:
            raise EndpointError(
                f"{ref} is in a local registry, not on Vertex AI: deploy it with --target local, "
                "or register it on Vertex AI (registry_uri: vertex://PROJECT/REGION)"
            )
        endpoint = self._find(endpoint_name)
        before = self._models(endpoint) if endpoint else []
        if any(model.model_resource == version.resource_name for model in before):
            raise EndpointError(f"{ref} is already deployed on endpoint {endpoint_name!r}: use promote or rollback")
        if not before and traffic != 100:
            raise EndpointError(
                f"endpoint {endpoint_name!r} has no deployed model: the first one takes all traffic (drop --traffic)"
            )
        endpoint = endpoint or self._create(endpoint_name)
        self._align_logging(endpoint)
        split = canary_split({model.id: model.traffic for model in before}, "0", traffic)
        serving = self.serving
        self._deploy_one(endpoint, version.resource_name, f"{version.model_name}-v{version.version}", split,
                         serving.machine_type, serving.min_replicas, serving.max_replicas)  # fmt: skip
        after = self._models(endpoint)
        History(self.history_root, endpoint_name).record(
            endpoint.resource_name, f"deploy {ref} ({traffic}%)", before, after
        )
        return self._info(endpoint_name, endpoint, after)

    def promote(self, endpoint_name: str) -> Endpoint:
        """All traffic to the newest deployed model, then undeploy the others."""
        endpoint = self._get(endpoint_name)
        before = self._models(endpoint)
        if not before:
            raise EndpointError(f"endpoint {endpoint_name!r} has no deployed model to promote")
        newest = max(before, key=lambda model: (model.created_at, int(model.id) if model.id.isdigit() else 0))
        if newest.traffic != 100:
            endpoint.update(traffic_split={model.id: 100 if model is newest else 0 for model in before})
        for model in before:
            if model is not newest:
                endpoint.undeploy(model.id, traffic_split={newest.id: 100})
        after = self._models(endpoint)
        action = f"promote {newest.model_name}:{newest.version}"
        History(self.history_root, endpoint_name).record(endpoint.resource_name, action, before, after)
        return self._info(endpoint_name, endpoint, after)

    def rollback(self, endpoint_name: str) -> Endpoint:
        """Restore the split recorded before the last change, redeploying versions undeployed since."""
        endpoint = self._get(endpoint_name)
        live = self._models(endpoint)
        history = History(self.history_root, endpoint_name)
        target = history.previous({model.id: model.traffic for model in live})
        live_ids = {model.id for model in live}
        ids: dict[str, str] = {}  # recorded id -> id now (a redeployed model gets a new one)
        for wanted in target["models"]:
            if wanted["id"] in live_ids:
                ids[wanted["id"]] = wanted["id"]
                continue
            deployed = {model.id: model.traffic for model in self._models(endpoint)}
            # At 0% next to the models serving now (the split moves below, in one update); alone
            # on an emptied endpoint it must take 100%, the only split Vertex AI accepts there.
            split = {**deployed, "0": 0} if deployed else {"0": 100}
            name = f"{wanted['model_name']}-v{wanted['version']}"
            self._deploy_one(endpoint, wanted["model_resource"], name, split, wanted["machine_type"],
                             wanted["min_replicas"], wanted["max_replicas"])  # fmt: skip
            ids[wanted["id"]] = next(m.id for m in self._models(endpoint) if m.id not in deployed)
        split = {ids[model["id"]]: int(model["traffic"]) for model in target["models"]}
        current = self._models(endpoint)
        if split and split != {model.id: model.traffic for model in current if model.id in split}:
            endpoint.update(traffic_split={model.id: split.get(model.id, 0) for model in current})
        for model in sorted(current, key=lambda m: m.traffic):  # with no split left, the last holds it
            if model.id not in split:
                endpoint.undeploy(model.id, traffic_split=split or None)
        after = self._models(endpoint)
        history.replace_latest_two(endpoint.resource_name, History.state(f"rollback to: {target['action']}", after))
        return self._info(endpoint_name, endpoint, after)

    def undeploy(self, endpoint_name: str) -> Endpoint:
        """Undeploy every model from the endpoint (it stays, with its history: rollback redeploys)."""
        endpoint = self._get(endpoint_name)
        before = self._models(endpoint)
        for model in sorted(before, key=lambda m: m.traffic):  # the last one holds the traffic
            endpoint.undeploy(model.id)
        History(self.history_root, endpoint_name).record(endpoint.resource_name, "undeploy", before, [])
        return self._info(endpoint_name, endpoint, [])

    def list_endpoints(self) -> list[Endpoint]:
        """Every endpoint of the project and location, by name."""
        from google.cloud import aiplatform

        found = aiplatform.Endpoint.list(order_by="display_name", **self._where())
        return [self._info(e.display_name, e, self._models(e)) for e in found]

    def predict(self, endpoint_name: str, instances: Sequence[Any]) -> dict[str, Any]:
        """`{"predictions": [...], "deployed_model_id": ..., "model_version_id": ...}` from the endpoint."""
        answer = self._get(endpoint_name).predict(instances=list(instances))
        return {
            "predictions": list(answer.predictions),
            "deployed_model_id": answer.deployed_model_id,
            "model_version_id": answer.model_version_id,
        }

    def resource_name(self, endpoint_name: str) -> str:
        """The endpoint's resource name (projects/P/locations/L/endpoints/ID); EndpointError if none."""
        return str(self._get(endpoint_name).resource_name)

    # Internals.
    def _where(self) -> dict[str, Any]:
        """The SDK's project, location and credentials arguments."""
        return {"project": self.project, "location": self.location, "credentials": self.credentials}

    def _find(self, endpoint_name: str) -> Any:
        """The Endpoint with this display name, or None; two are ambiguous."""
        from google.cloud import aiplatform

        found = aiplatform.Endpoint.list(filter=f'display_name="{endpoint_name}"', **self._where())
        if len(found) > 1:
            names = ", ".join(e.resource_name for e in found)
            raise EndpointError(f"{len(found)} Vertex AI endpoints are named {endpoint_name!r} ({names}); rename one")
        return found[0] if found else None

    def _get(self, endpoint_name: str) -> Any:
        """The Endpoint with this display name; EndpointError naming project and region if none."""
        endpoint = self._find(check_endpoint_name(endpoint_name))
        if endpoint is None:
            raise EndpointError(
                f"Vertex AI endpoint {endpoint_name!r} not found in project {self.project!r}, region "
                f"{self.location!r}; `mlops endpoints list` shows the endpoints there"
            )
        return endpoint

    def _create(self, endpoint_name: str) -> Any:
        """A new Endpoint with request-response logging as configured."""
        from google.cloud import aiplatform

        logging = self.serving.request_logging
        return aiplatform.Endpoint.create(
            display_name=endpoint_name,
            labels={"managed_by": "vertex-mlops"},
            enable_request_response_logging=logging.enabled,
            request_response_logging_sampling_rate=logging.sampling_rate if logging.enabled else None,
            request_response_logging_bq_destination_table=logging.bigquery_table if logging.enabled else None,
            **self._where(),
        )

    def _align_logging(self, endpoint: Any) -> None:
        """PATCH the endpoint's request-response logging when it differs from the config (the SDK's
        `Endpoint.update` does not cover it, so this goes through its API client)."""
        from google.cloud.aiplatform import gapic
        from google.protobuf import field_mask_pb2  # pants: no-infer-dep

        wanted = _logging_proto(self.serving.request_logging)
        current = endpoint.gca_resource.predict_request_response_logging_config
        if type(current).pb(current) == type(wanted).pb(wanted):
            return
        patched = gapic.Endpoint(name=endpoint.resource_name, predict_request_response_logging_config=wanted)
        mask = field_mask_pb2.FieldMask(paths=["predict_request_response_logging_config"])
        endpoint.api_client.update_endpoint(endpoint=patched, update_mask=mask)

    def _deploy_one(self, endpoint: Any, resource: str, display: str, split: dict[str, int], machine: str,
                    low: int, high: int) -> None:  # fmt: skip
        """Deploy one model version (`resource`: .../models/ID@VERSION) with this split and machines."""
        from google.cloud import aiplatform

        model = aiplatform.Model(resource, **self._where())
        endpoint.deploy(model, deployed_model_display_name=display, traffic_split=split, machine_type=machine,
                        min_replica_count=low, max_replica_count=high,
                        service_account=self.serving.service_account)  # fmt: skip

    def _models(self, endpoint: Any) -> list[DeployedModel]:
        """The deployed models as they are now (one GET), oldest first."""
        deployed_models = endpoint.list_models()  # a GET: the SDK's copy of the endpoint is current too
        split = dict(endpoint.gca_resource.traffic_split)
        models = []
        for deployed in deployed_models:
            dedicated = deployed.dedicated_resources
            models.append(DeployedModel(
                id=deployed.id, model_name=deployed.display_name.rsplit("-v", 1)[0],
                version=deployed.model_version_id, traffic=int(split.get(deployed.id, 0)),
                model_resource=f"{deployed.model}@{deployed.model_version_id}",
                machine_type=dedicated.machine_spec.machine_type, min_replicas=dedicated.min_replica_count,
                max_replicas=dedicated.max_replica_count, created_at=deployed.create_time.isoformat(),
            ))  # fmt: skip
        return sorted(models, key=lambda model: model.created_at)

    def _info(self, name: str, endpoint: Any, models: list[DeployedModel]) -> Endpoint:
        """The endpoint as `mlops endpoints list` shows it."""
        return Endpoint(name=name, target="vertex", address=endpoint.resource_name, models=models)


def _logging_proto(config: RequestLoggingConfig) -> Any:
    """The API's PredictRequestResponseLoggingConfig for the `serving.request_logging` section."""
    from google.cloud.aiplatform import gapic

    if not config.enabled:
        return gapic.PredictRequestResponseLoggingConfig()
    destination = gapic.BigQueryDestination(output_uri=config.bigquery_table)
    return gapic.PredictRequestResponseLoggingConfig(
        enabled=True, sampling_rate=config.sampling_rate, bigquery_destination=destination
    )
