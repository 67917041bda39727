"""Endpoint routes of the fake Vertex AI REST API (`mlops.testing.fake_vertex`).

What the SDK calls for online serving: endpoints create (a finished long-running operation), get,
list (`display_name=` filter), PATCH (traffic split, request-response logging), DELETE,
`:deployModel` / `:undeployModel` (operations) and `:predict`. Request bodies are parsed into the
SDK's own `aiplatform_v1` protos first, so a body the real API would reject as malformed is a 400
here too; then the rules Vertex AI keeps are checked (a traffic split adds up to 100 and names
deployed models only, the deployed model's version exists, replicas are sane).

Predictions come from `FakeVertex.predictor(deployed_model, instance)`: by default the sum of the
instance's numbers, so a test can tell what was sent. The fake is GCP's boundary; the model
itself is not run. The deployed model with the most traffic answers (the newest on a tie), so
tests are deterministic where Vertex AI would pick at random by the split.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from mlops.testing.fake_vertex_state import ApiError, matches_filter, now

if TYPE_CHECKING:
    from mlops.testing.fake_vertex import FakeVertex, RecordedRequest

ENDPOINT = r"/(?P<version>v1|v1beta1)/(?P<parent>projects/[^/]+/locations/[^/]+)/endpoints/(?P<endpoint>[^/:]+)"
_TYPES = "type.googleapis.com/google.cloud.aiplatform"


def parse_as(body: Any, message: str) -> None:
    """400 unless `body` parses as the JSON form of `aiplatform_v1.types.<message>`."""
    from google.cloud import aiplatform_v1  # pants: no-infer-dep
    from google.protobuf import json_format  # pants: no-infer-dep

    proto = getattr(aiplatform_v1.types, message).pb()()
    try:
        json_format.ParseDict(body or {}, proto)
    except json_format.ParseError as error:
        raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: invalid {message}: {error}") from None


def default_predictor(deployed_model: dict[str, Any], instance: Any) -> Any:
    """A stand-in for a model: the sum of the numbers in the instance (a list or a mapping)."""
    values = instance.values() if isinstance(instance, dict) else instance if isinstance(instance, list) else []
    return float(sum(v for v in values if isinstance(v, int | float) and not isinstance(v, bool)))


class FakeEndpoints:
    """The endpoints the fake knows, as REST JSON dictionaries keyed by resource name."""

    def __init__(self, fake: FakeVertex) -> None:
        self.fake = fake
        self.endpoints: dict[str, dict[str, Any]] = {}

    def get(self, name: str) -> dict[str, Any]:
        """An endpoint by resource name; 404 NOT_FOUND if there is none."""
        if name not in self.endpoints:
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: endpoint {name} not found")
        return self.endpoints[name]

    def create(self, parent: str, endpoint_id: str | None, body: dict[str, Any], api: str) -> dict[str, Any]:
        """endpoints create: stored with no deployed model; returns the finished operation."""
        parse_as(body, "Endpoint")
        if not body.get("displayName"):
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: endpoint.display_name is required")
        _check_logging(body.get("predictRequestResponseLoggingConfig"))
        name = f"{parent}/endpoints/{endpoint_id or self.fake.state.next_id()}"
        if name in self.endpoints:
            raise ApiError(409, "ALREADY_EXISTS", f"fake Vertex AI: endpoint {name} already exists")
        stamp = now()
        endpoint = {**copy.deepcopy(body), "name": name, "createTime": stamp, "updateTime": stamp}
        endpoint.update(deployedModels=[], trafficSplit={})
        self.endpoints[name] = endpoint
        return self.fake.state.operation(name, {"@type": f"{_TYPES}.{api}.Endpoint", **copy.deepcopy(endpoint)})

    def list(self, parent: str, expression: str) -> list[dict[str, Any]]:
        """The endpoints under `parent` that pass the list filter."""
        found = [e for n, e in self.endpoints.items() if n.startswith(f"{parent}/endpoints/")]
        return [e for e in found if matches_filter(e, expression)]

    def patch(self, name: str, mask: str, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH with an update mask: display name, description, labels, traffic split, logging."""
        parse_as(body, "Endpoint")
        endpoint = self.get(name)
        fields = {_camel(path) for path in mask.split(",") if path}
        allowed = {"displayName", "description", "labels", "trafficSplit", "predictRequestResponseLoggingConfig"}
        if not fields or fields - allowed:
            raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: unsupported update mask {mask!r}")
        if "trafficSplit" in fields:
            _check_split(endpoint, body.get("trafficSplit") or {})
        if "predictRequestResponseLoggingConfig" in fields:
            _check_logging(body.get("predictRequestResponseLoggingConfig"))
        for key in fields:  # a masked field absent from the body is cleared, as in the REST API
            if key in body:
                endpoint[key] = copy.deepcopy(body[key])
            else:
                endpoint.pop(key, None)
        endpoint["updateTime"] = now()
        return endpoint

    def delete(self, name: str) -> dict[str, Any]:
        """endpoints DELETE; refused while models are deployed (as Vertex AI does)."""
        if self.get(name)["deployedModels"]:
            raise ApiError(400, "FAILED_PRECONDITION", f"fake Vertex AI: endpoint {name} has deployed models")
        del self.endpoints[name]
        return self.fake.state.operation(name, {"@type": "type.googleapis.com/google.protobuf.Empty"})

    def deploy(self, name: str, body: dict[str, Any], api: str) -> dict[str, Any]:
        """`:deployModel`: the model version must exist; key "0" of the split is the new model."""
        parse_as(body, "DeployModelRequest")
        endpoint = self.get(name)
        wanted = copy.deepcopy(body.get("deployedModel") or {})
        model, selector = self.fake.state.model(wanted.get("model", ""))
        version = model.version(selector)
        _check_resources(wanted)
        deployed_id = self.fake.state.next_id()
        split = {(deployed_id if key == "0" else key): value for key, value in (body.get("trafficSplit") or {}).items()}
        if not split and not endpoint["deployedModels"]:
            split = {deployed_id: 100}
        deployed = {**wanted, "id": deployed_id, "model": model.name, "modelVersionId": version["versionId"]}
        deployed.setdefault("displayName", version["displayName"])
        deployed["createTime"] = now()
        _check_split({"deployedModels": [*endpoint["deployedModels"], deployed]}, split)
        endpoint["deployedModels"].append(deployed)
        endpoint["trafficSplit"] = split
        response = {"@type": f"{_TYPES}.{api}.DeployModelResponse", "deployedModel": copy.deepcopy(deployed)}
        return self.fake.state.operation(name, response)

    def undeploy(self, name: str, body: dict[str, Any], api: str) -> dict[str, Any]:
        """`:undeployModel`: the remaining split must add up to 100 (Vertex AI refuses otherwise)."""
        parse_as(body, "UndeployModelRequest")
        endpoint = self.get(name)
        deployed_id = body.get("deployedModelId", "")
        remaining = [m for m in endpoint["deployedModels"] if m["id"] != deployed_id]
        if len(remaining) == len(endpoint["deployedModels"]):
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: deployed model {deployed_id} not found in {name}")
        if "trafficSplit" in body:
            split = {k: v for k, v in body["trafficSplit"].items() if k != deployed_id}
        else:
            split = {k: v for k, v in endpoint["trafficSplit"].items() if k != deployed_id}
        _check_split({"deployedModels": remaining}, split)
        endpoint.update(deployedModels=remaining, trafficSplit=split, updateTime=now())
        return self.fake.state.operation(name, {"@type": f"{_TYPES}.{api}.UndeployModelResponse"})

    def predict(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """`:predict`: every instance through `fake.predictor`, by the model with the most traffic."""
        parse_as(body, "PredictRequest")
        endpoint = self.get(name)
        split = {k: v for k, v in endpoint["trafficSplit"].items() if v > 0}
        if not split:
            raise ApiError(400, "FAILED_PRECONDITION", f"fake Vertex AI: endpoint {name} has no deployed model")
        deployed_id = max(split, key=lambda k: (split[k], int(k) if k.isdigit() else 0))
        deployed = next(m for m in endpoint["deployedModels"] if m["id"] == deployed_id)
        instances = body.get("instances") or []
        predictions = [self.fake.predictor(copy.deepcopy(deployed), instance) for instance in instances]
        return {
            "predictions": predictions,
            "deployedModelId": deployed_id,
            "model": deployed["model"],
            "modelVersionId": deployed["modelVersionId"],
            "modelDisplayName": deployed.get("displayName", ""),
        }


def _camel(path: str) -> str:
    """An update-mask path in the JSON field's spelling (`traffic_split` -> `trafficSplit`)."""
    head, *rest = path.strip().split("_")
    return head + "".join(part.title() for part in rest)


def _check_split(endpoint: dict[str, Any], split: dict[str, int]) -> None:
    """400 unless the split names deployed models only and adds up to 100 (or is empty with none)."""
    ids = {m["id"] for m in endpoint["deployedModels"]}
    if unknown := sorted(set(split) - ids):
        message = f"fake Vertex AI: traffic split names unknown deployed models {unknown}"
        raise ApiError(400, "INVALID_ARGUMENT", message)
    if (split or ids) and sum(split.values()) != 100:
        raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: traffic split {split} does not add up to 100")


def _check_resources(deployed: dict[str, Any]) -> None:
    """400 for dedicated resources without a machine type or with replicas out of order."""
    dedicated = deployed.get("dedicatedResources")
    if dedicated is None:
        return  # automatic resources
    low, high = int(dedicated.get("minReplicaCount", 0)), int(dedicated.get("maxReplicaCount", 0))
    if not dedicated.get("machineSpec", {}).get("machineType"):
        raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: machine_spec.machine_type is required")
    if low < 1 or (high and high < low):
        raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: replicas min {low} / max {high} are not valid")


def _check_logging(config: dict[str, Any] | None) -> None:
    """400 for enabled request-response logging without a bq:// table or with a rate outside (0, 1]."""
    if not config or not config.get("enabled"):
        return
    uri = config.get("bigqueryDestination", {}).get("outputUri", "")
    rate = config.get("samplingRate", 0)
    if not uri.startswith("bq://") or not 0 < rate <= 1:
        message = f"fake Vertex AI: request-response logging needs a bq:// table and a rate in (0, 1]: {config}"
        raise ApiError(400, "INVALID_ARGUMENT", message)


def _name(m: dict[str, str]) -> str:
    return f"{m['parent']}/endpoints/{m['endpoint']}"


def _query(r: RecordedRequest, key: str) -> str:
    return r.query.get(key, [""])[0]


def _create(f: FakeVertex, r: RecordedRequest, m: dict[str, str]) -> Any:
    return f.endpoints.create(m["parent"], _query(r, "endpointId") or None, r.body or {}, m["version"])


def _list(f: FakeVertex, r: RecordedRequest, m: dict[str, str]) -> Any:
    return {"endpoints": f.endpoints.list(m["parent"], _query(r, "filter"))}


LOCATION = ENDPOINT.split("/endpoints/")[0]
# (HTTP method, path pattern, handler) for `fake_vertex.ROUTES`; handlers run under the fake's lock.
ROUTES: list[tuple[str, str, Any]] = [
    ("POST", LOCATION + r"/endpoints", _create),
    ("GET", LOCATION + r"/endpoints", _list),
    ("GET", ENDPOINT, lambda f, r, m: f.endpoints.get(_name(m))),
    ("PATCH", ENDPOINT, lambda f, r, m: f.endpoints.patch(_name(m), _query(r, "updateMask"), r.body or {})),
    ("DELETE", ENDPOINT, lambda f, r, m: f.endpoints.delete(_name(m))),
    ("POST", ENDPOINT + r":deployModel", lambda f, r, m: f.endpoints.deploy(_name(m), r.body or {}, m["version"])),
    ("POST", ENDPOINT + r":undeployModel", lambda f, r, m: f.endpoints.undeploy(_name(m), r.body or {}, m["version"])),
    ("POST", ENDPOINT + r":predict", lambda f, r, m: f.endpoints.predict(_name(m), r.body or {})),
]
