"""Model Monitoring routes of the fake Vertex AI REST API (`mlops.testing.fake_vertex`): ModelMonitor (v2).

What the SDK calls for `vertexai.resources.preview.ml_monitoring.ModelMonitor.create(...)`,
`.list()`, `.update(...)` and GET: v1beta1 modelMonitors create and PATCH (finished long-running
operations, as the real API answers), get and list (`display_name=` filter). Bodies are parsed into
`aiplatform_v1beta1.types.ModelMonitor` first, so a body the real API would reject as malformed is
a 400; then the rules Vertex AI keeps are checked: the target model version exists in the fake.
Monitoring-job schedules live with the pipeline schedules (`fake_vertex_schedules`). State:
`fake.monitoring.monitors`.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from mlops.testing.fake_vertex_state import ApiError, matches_filter, now

if TYPE_CHECKING:
    from mlops.testing.fake_vertex import FakeVertex, RecordedRequest

LOCATION = r"/(?P<version>v1|v1beta1)/(?P<parent>projects/[^/]+/locations/[^/]+)"
MONITOR = r"/v1beta1/(?P<name>projects/[^/]+/locations/[^/]+/modelMonitors/[^/:]+)"
_TYPE = "type.googleapis.com/google.cloud.aiplatform.v1beta1.ModelMonitor"


def parse_as(body: Any, message: str, version: str = "v1beta1") -> None:
    """400 unless `body` parses as the JSON form of `aiplatform_<version>.types.<message>`."""
    from google.cloud import aiplatform_v1, aiplatform_v1beta1  # pants: no-infer-dep
    from google.protobuf import json_format  # pants: no-infer-dep

    types = (aiplatform_v1beta1 if version == "v1beta1" else aiplatform_v1).types
    try:
        json_format.ParseDict(body or {}, getattr(types, message).pb()())
    except json_format.ParseError as error:
        raise ApiError(400, "INVALID_ARGUMENT", f"fake Vertex AI: invalid {message}: {error}") from None


class FakeMonitoring:
    """The model monitors the fake knows, as REST JSON dictionaries keyed by resource name."""

    def __init__(self, fake: FakeVertex) -> None:
        self.fake = fake
        self.monitors: dict[str, dict[str, Any]] = {}

    def _check(self, body: dict[str, Any]) -> None:
        parse_as(body, "ModelMonitor")
        target = body.get("modelMonitoringTarget", {}).get("vertexModel", {})
        if not target.get("model") or not target.get("modelVersionId"):
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: model_monitoring_target.vertex_model is required")
        self.fake.get_model(f"{target['model']}@{target['modelVersionId']}")  # 404 if there is no such version

    def create(self, parent: str, body: dict[str, Any], monitor_id: str | None) -> dict[str, Any]:
        """A new monitor (answered as a finished operation); 400/404 for what Vertex AI refuses."""
        self._check(body)
        name = f"{parent}/modelMonitors/{monitor_id or self.fake.state.next_id()}"
        if name in self.monitors:
            raise ApiError(409, "ALREADY_EXISTS", f"fake Vertex AI: model monitor {name} already exists")
        stamp = now()
        self.monitors[name] = {**copy.deepcopy(body), "name": name, "createTime": stamp, "updateTime": stamp}
        return self.fake.state.operation(parent, {"@type": _TYPE, **copy.deepcopy(self.monitors[name])})

    def get(self, name: str) -> dict[str, Any]:
        if name not in self.monitors:
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: model monitor {name} not found")
        return copy.deepcopy(self.monitors[name])

    def list(self, parent: str, expression: str) -> list[dict[str, Any]]:
        found = [m for name, m in self.monitors.items() if name.startswith(f"{parent}/modelMonitors/")]
        return [copy.deepcopy(m) for m in found if matches_filter(m, expression)]

    def patch(self, name: str, body: dict[str, Any], mask: str) -> dict[str, Any]:
        """Replace the fields named by the update mask (required, as in Vertex AI)."""
        monitor = self.get(name)
        self._check(body)
        if not mask:
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: update_mask is required")
        for path in mask.split(","):
            key = "".join(word.capitalize() if i else word for i, word in enumerate(path.split("_")))
            if key in body:
                monitor[key] = copy.deepcopy(body[key])
            else:
                monitor.pop(key, None)
        monitor["updateTime"] = now()
        self.monitors[name] = monitor
        return self.fake.state.operation(name, {"@type": _TYPE, **copy.deepcopy(monitor)})


def _query(request: RecordedRequest, key: str) -> str:
    return request.query.get(key, [""])[0]


# (HTTP method, path pattern, handler) for `fake_vertex.ROUTES`; handlers run under the fake's lock.
ROUTES: list[tuple[str, str, Any]] = [
    (
        "POST",
        LOCATION + r"/modelMonitors",
        lambda f, r, m: f.monitoring.create(m["parent"], r.body or {}, _query(r, "modelMonitorId") or None),
    ),
    (
        "GET",
        LOCATION + r"/modelMonitors",
        lambda f, r, m: {"modelMonitors": f.monitoring.list(m["parent"], _query(r, "filter"))},
    ),
    ("GET", MONITOR, lambda f, r, m: f.monitoring.get(m["name"])),
    ("PATCH", MONITOR, lambda f, r, m: f.monitoring.patch(m["name"], r.body or {}, _query(r, "updateMask"))),
]
