"""A local fake of the Vertex AI REST API (v1 and v1beta1) for tests that use the real SDK.

Point the official SDK at it and everything between our code and the wire is real:

    with FakeVertex() as fake:
        aiplatform.init(project="p", location="us-central1", api_endpoint=fake.endpoint,
                        api_transport="rest", credentials=AnonymousCredentials())
        ...  # aiplatform.Model.upload(...), PipelineJob(...).submit(), ...
        assert fake.requests_to("POST", ":upload")[0].body["model"]["displayName"] == "churn"

It answers the calls the SDK makes for the model registry, pipelines and online serving:
models:upload (a finished long-running operation) and operations GET, models GET (`ID`,
`ID@VERSION`, `ID@ALIAS`), list (`display_name=` / `labels.K=` filters), listVersions,
mergeVersionAliases, evaluations:import and GET/list, models:deleteVersion and DELETE, pipelineJobs
create/get/list/cancel, endpoints (`fake_vertex_endpoints`: create, get, list, patch, delete,
deployModel, undeployModel, predict; state in `fake.endpoints`) and schedules
(`fake_vertex_schedules`: PipelineJobSchedule create, get, list, delete; state in `fake.schedules`)
and Model Monitoring (`fake_vertex_monitoring`: ModelMonitor create, get, list, patch, and their
schedules; state in `fake.monitoring`).
A pipeline job id that exists already is a 409 ALREADY_EXISTS, as in Vertex AI. Anything else is recorded and
answered 404 with a JSON error that names the unhandled method and path. State lives in memory
(`fake.state`), and every request is recorded in `fake.requests` (method, path, query, parsed
JSON body, headers). `fake.fail(...)` makes the next matching requests fail, to test what callers
do when the API errors. `fake.init_sdk(project, location)` points `aiplatform.init` at the fake.

PipelineJob.submit() first checks a GCS bucket through other Google hosts (~100 s timeout):
tests patch `GCS_BUCKET_CHECK` (`google.cloud.aiplatform.utils.gcs_utils.
create_gcs_bucket_for_pipeline_artifacts_if_it_does_not_exist`), the SDK's boundary to GCS.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from typing import Any

from mlops.testing import fake_vertex_endpoints, fake_vertex_monitoring, fake_vertex_schedules
from mlops.testing.fake_vertex_endpoints import FakeEndpoints, default_predictor
from mlops.testing.fake_vertex_http import Fault, RecordedRequest, handler_class
from mlops.testing.fake_vertex_monitoring import FakeMonitoring
from mlops.testing.fake_vertex_schedules import FakeSchedules
from mlops.testing.fake_vertex_state import ApiError, FakeState, matches_filter

__all__ = ["GCS_BUCKET_CHECK", "FakeVertex", "RecordedRequest"]

# What tests patch: the SDK's check of the pipeline root's bucket before a job is created.
GCS_BUCKET_CHECK = (
    "google.cloud.aiplatform.utils.gcs_utils.create_gcs_bucket_for_pipeline_artifacts_if_it_does_not_exist"
)

LOCATION = r"/(?P<version>v1|v1beta1)/(?P<parent>projects/[^/]+/locations/[^/]+)"
MODEL = LOCATION + r"/models/(?P<model>[^/:]+)"
Handler = Callable[["FakeVertex", "RecordedRequest", dict[str, str]], Any]


def _model_name(match: dict[str, str]) -> str:
    return f"{match['parent']}/models/{match['model']}"


def _query(request: RecordedRequest, key: str, default: str | None = None) -> Any:
    return request.query.get(key, [default])[0]


def _job(match: dict[str, str]) -> str:
    return f"{match['parent']}/pipelineJobs/{match['job']}"


class FakeVertex:
    """The fake API server on 127.0.0.1 and an ephemeral port; use it as a context manager."""

    def __init__(
        self, *, pipeline_final_state: str = "PIPELINE_STATE_SUCCEEDED", task_errors: dict[str, str] | None = None
    ) -> None:
        """`task_errors`: task name -> the error message that task fails with (the job's other tasks
        end in `pipeline_final_state`)."""
        self.state = FakeState(pipeline_final_state=pipeline_final_state, task_errors=dict(task_errors or {}))
        self.endpoints = FakeEndpoints(self)
        self.schedules = FakeSchedules(self)
        self.monitoring = FakeMonitoring(self)
        # What a deployed model answers for one instance (the fake runs no model); tests may replace it.
        self.predictor: Callable[[dict[str, Any], Any], Any] = default_predictor
        self.requests: list[RecordedRequest] = []
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The `api_endpoint` for `aiplatform.init` (with the http scheme the SDK needs here)."""
        if self._server is None:
            raise RuntimeError("FakeVertex is not running: use it as a context manager or call start()")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeVertex:
        """Start serving in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(self.dispatch))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-vertex", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeVertex:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def init_sdk(self, project: str = "test-project", location: str = "us-central1", **kwargs: Any) -> None:
        """`aiplatform.init` pointed at this fake, over REST, with anonymous credentials."""
        from google.auth.credentials import AnonymousCredentials  # pants: no-infer-dep
        from google.cloud import aiplatform

        aiplatform.init(
            project=project,
            location=location,
            api_endpoint=self.endpoint,
            api_transport="rest",
            credentials=AnonymousCredentials(),
            **kwargs,
        )

    def fail(self, method: str, path_contains: str, code: int = 500, status: str = "INTERNAL", times: int = 1) -> None:
        """Answer the next `times` matching requests with an error (fault injection for tests)."""
        with self.lock:
            self.faults.append(Fault(method, path_contains, code, status, times))

    def requests_to(self, method: str | None = None, path_contains: str = "") -> list[RecordedRequest]:
        """The recorded requests with this method (any if None) whose path contains the text."""
        with self.lock:
            return [r for r in self.requests if (method is None or r.method == method) and path_contains in r.path]

    # Handlers that combine state calls (each runs under self.lock).
    def get_model(self, name: str) -> dict[str, Any]:
        model, selector = self.state.model(name)
        return model.version(selector)

    def merge_aliases(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        model, selector = self.state.model(name)
        version = model.version(selector)
        model.assign_aliases(version, list(body.get("versionAliases", [])))
        return version

    def evaluations(self, name: str) -> list[dict[str, Any]]:
        model, selector = self.state.model(name)
        if selector is None and "@" not in name:
            return [e for evaluations in model.evaluations.values() for e in evaluations]
        return model.evaluations.get(model.version(selector)["versionId"], [])

    def evaluation(self, name: str, evaluation_id: str) -> dict[str, Any]:
        for evaluation in self.evaluations(name.partition("@")[0]):
            if evaluation["name"].endswith(f"/evaluations/{evaluation_id}"):
                return evaluation
        raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: evaluation {evaluation_id} of {name} not found")

    def get_operation(self, name: str) -> dict[str, Any]:
        if name not in self.state.operations:
            raise ApiError(404, "NOT_FOUND", f"fake Vertex AI: operation {name} not found")
        return self.state.operations[name]

    def list_pipeline_jobs(self, parent: str, expression: str) -> list[dict[str, Any]]:
        names = [name for name in self.state.pipeline_jobs if name.startswith(f"{parent}/pipelineJobs/")]
        jobs = [self.state.get_pipeline_job(name) for name in names]
        return [job for job in jobs if matches_filter(job, expression)]

    def create_pipeline_job(self, parent: str, request: RecordedRequest) -> dict[str, Any]:
        return self.state.create_pipeline_job(parent, _query(request, "pipelineJobId"), request.body or {})

    def cancel_pipeline_job(self, name: str) -> dict[str, Any]:
        self.state.get_pipeline_job(name)
        self.state.pipeline_jobs[name]["state"] = "PIPELINE_STATE_CANCELLED"
        return {}

    def dispatch(self, request: RecordedRequest) -> tuple[int, Any]:
        """Record `request` and answer it: (HTTP status, JSON body)."""
        with self.lock:
            self.requests.append(request)
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and fault.path_contains in request.path:
                    fault.times -= 1
                    message = f"fake Vertex AI: injected failure of {request.method} {request.path}"
                    return fault.code, {"error": {"code": fault.code, "message": message, "status": fault.status}}
            for method, pattern, handler in ROUTES:
                match = pattern.fullmatch(request.path)
                if method == request.method and match:
                    try:
                        return 200, handler(self, request, match.groupdict())
                    except ApiError as error:
                        return error.code, {
                            "error": {"code": error.code, "message": error.message, "status": error.status}
                        }
        message = f"fake Vertex AI: no handler for {request.method} {request.path}"
        return 404, {"error": {"code": 404, "message": message, "status": "NOT_FOUND"}}


L, M, JOB = LOCATION, MODEL, LOCATION + r"/pipelineJobs/(?P<job>[^/:]+)"
_TABLE: list[tuple[str, str, Handler]] = [
    ("POST", L + r"/models:upload", lambda f, r, m: f.state.upload_model(m["parent"], r.body or {}, m["version"])),
    ("GET", L + r"/models", lambda f, r, m: {"models": f.state.list_models(m["parent"], _query(r, "filter", ""))}),
    ("GET", M + r":listVersions", lambda f, r, m: {"models": f.state.model(_model_name(m))[0].versions}),
    ("POST", M + r":mergeVersionAliases", lambda f, r, m: f.merge_aliases(_model_name(m), r.body or {})),
    ("POST", M + r"/evaluations:import", lambda f, r, m: f.state.import_evaluation(_model_name(m), r.body or {})),
    ("GET", M + r"/evaluations", lambda f, r, m: {"modelEvaluations": f.evaluations(_model_name(m))}),
    ("GET", M + r"/evaluations/(?P<id>[^/:]+)", lambda f, r, m: f.evaluation(_model_name(m), m["id"])),
    ("GET", M, lambda f, r, m: f.get_model(_model_name(m))),
    ("DELETE", M + r":deleteVersion", lambda f, r, m: f.state.delete_version(_model_name(m))),
    ("DELETE", M, lambda f, r, m: f.state.delete_model(_model_name(m))),
    ("GET", r"/(?:v1|v1beta1)/(?P<name>projects/.+/operations/[^/:]+)", lambda f, r, m: f.get_operation(m["name"])),
    ("POST", L + r"/pipelineJobs", lambda f, r, m: f.create_pipeline_job(m["parent"], r)),
    (
        "GET",
        L + r"/pipelineJobs",
        lambda f, r, m: {"pipelineJobs": f.list_pipeline_jobs(m["parent"], _query(r, "filter", ""))},
    ),
    ("GET", JOB, lambda f, r, m: f.state.get_pipeline_job(_job(m))),
    ("POST", JOB + r":cancel", lambda f, r, m: f.cancel_pipeline_job(_job(m))),
]
_TABLE += fake_vertex_endpoints.ROUTES + fake_vertex_schedules.ROUTES + fake_vertex_monitoring.ROUTES
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [(verb, re.compile(path), fn) for verb, path, fn in _TABLE]
