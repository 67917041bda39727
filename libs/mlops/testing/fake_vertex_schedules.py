"""Schedule routes of the fake Vertex AI REST API (`mlops.testing.fake_vertex`): PipelineJobSchedule.

What the SDK calls for `PipelineJob.create_schedule(...)`, `PipelineJobSchedule.list()`, `.get()`
and `.delete()`: schedules create (answered directly, as the real API does), get, list
(`display_name=` filter) and DELETE (a finished long-running operation). Bodies are parsed into
`aiplatform_v1.types.Schedule` (`v1beta1` on v1beta1 paths) first, so a body the real API would
reject as malformed is a 400 here too; then the rules Vertex AI keeps are checked: a cron, a positive
`max_concurrent_run_count`, and a pipeline job to create. State: `fake.schedules.schedules`.
Model Monitoring's schedules (`ModelMonitor.create_schedule`, `.list_schedules`, `.update_schedule`)
are v1beta1 schedules holding a `createModelMonitoringJobRequest` whose parent must be a monitor of
the fake (`fake_vertex_monitoring`); PATCH applies an update mask.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from mlops.testing.fake_vertex_monitoring import parse_as
from mlops.testing.fake_vertex_state import ApiError, matches_filter, now

if TYPE_CHECKING:
    from mlops.testing.fake_vertex import FakeVertex, RecordedRequest

LOCATION = r"/(?P<version>v1|v1beta1)/(?P<parent>projects/[^/]+/locations/[^/]+)"
SCHEDULE = LOCATION + r"/schedules/(?P<schedule>[^/:]+)"


class FakeSchedules:
    """The schedules the fake knows, as REST JSON dictionaries keyed by resource name."""

    def __init__(self, fake: FakeVertex) -> None:
        self.fake = fake
        self.schedules: dict[str, dict[str, Any]] = {}

    def create(self, parent: str, body: dict[str, Any], version: str = "v1") -> dict[str, Any]:
        """A new ACTIVE schedule; 400 for what Vertex AI refuses."""
        self._check(body, version)
        name = f"{parent}/schedules/{self.fake.state.next_id()}"
        stamp = now()
        schedule = {**copy.deepcopy(body), "name": name, "state": "ACTIVE", "createTime": stamp}
        schedule.setdefault("startTime", stamp)
        schedule.update(updateTime=stamp, nextRunTime=schedule["startTime"])
        self.schedules[name] = schedule
        return copy.deepcopy(schedule)

    def _check(self, body: dict[str, Any], version: str) -> None:
        parse_as(body, "Schedule", version)
        if not body.get("displayName"):
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: schedule.display_name is required")
        if not body.get("cron"):
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: schedule.cron is required")
        # int64 fields arrive as JSON strings over REST.
        if int(body.get("maxConcurrentRunCount") or 0) < 1:
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: max_concurrent_run_count must be positive")
        monitoring = body.get("createModelMonitoringJobRequest")
        if monitoring is not None:
            self.fake.monitoring.get(monitoring.get("parent", ""))  # 404 unless the monitor exists
            if not monitoring.get("modelMonitoringJob", {}).get("modelMonitoringSpec"):
                raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: model_monitoring_spec is required")
        elif not body.get("createPipelineJobRequest", {}).get("pipelineJob"):
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: create_pipeline_job_request is required")

    def patch(self, name: str, body: dict[str, Any], mask: str, version: str) -> dict[str, Any]:
        """Replace the fields the update mask names (required); the result must still be valid."""
        schedule = self.get(name)
        if not mask:
            raise ApiError(400, "INVALID_ARGUMENT", "fake Vertex AI: update_mask is required")
        for path in mask.split(","):
            key = "".join(word.capitalize() if i else word for i, word in enumerate(path.split("_")))
            if key in body:
                schedule[key] = copy.deepcopy(body[key])
            else:
                schedule.pop(key, None)
        self._check({k: v for k, v in schedule.items() if k not in _OUTPUT_ONLY}, version)
        schedule["updateTime"] = now()
        self.schedules[name] = schedule
        return copy.deepcopy(schedule)

    def get(self, name: str) -> dict[str, Any]:
        """A schedule by resource name; 404 NOT_FOUND if there is none."""
        if name not in self.schedules:
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: schedule {name} not found")
        return copy.deepcopy(self.schedules[name])

    def list(self, parent: str, expression: str) -> list[dict[str, Any]]:
        """The schedules under `parent` that pass the filter."""
        found = [s for name, s in self.schedules.items() if name.startswith(f"{parent}/schedules/")]
        return [copy.deepcopy(s) for s in found if matches_filter(s, expression)]

    def delete(self, name: str) -> dict[str, Any]:
        """Remove a schedule; the answer is a finished operation, as Vertex AI's."""
        self.get(name)
        del self.schedules[name]
        return self.fake.state.operation(name, {"@type": "type.googleapis.com/google.protobuf.Empty"})


# Set by the fake, not sent by clients: left out when a patched schedule is checked again.
_OUTPUT_ONLY = ("name", "state", "createTime", "updateTime", "nextRunTime", "startedRunCount", "lastPauseTime")


def _name(m: dict[str, str]) -> str:
    return f"{m['parent']}/schedules/{m['schedule']}"


def _list(f: FakeVertex, r: RecordedRequest, m: dict[str, str]) -> Any:
    return {"schedules": f.schedules.list(m["parent"], r.query.get("filter", [""])[0])}


# (HTTP method, path pattern, handler) for `fake_vertex.ROUTES`; handlers run under the fake's lock.
ROUTES: list[tuple[str, str, Any]] = [
    ("POST", LOCATION + r"/schedules", lambda f, r, m: f.schedules.create(m["parent"], r.body or {}, m["version"])),
    ("GET", LOCATION + r"/schedules", _list),
    ("GET", SCHEDULE, lambda f, r, m: f.schedules.get(_name(m))),
    ("DELETE", SCHEDULE, lambda f, r, m: f.schedules.delete(_name(m))),
    (
        "PATCH",
        SCHEDULE,
        lambda f, r, m: f.schedules.patch(_name(m), r.body or {}, r.query.get("updateMask", [""])[0], m["version"]),
    ),
]
