"""A local fake of the BigQuery and Vertex AI Feature Store REST APIs, for tests of the real SDKs.

    with FakeFeatureStoreApi() as fake:
        store = VertexFeatureStore("p", "us-central1", "features", "online", api_endpoint=fake.endpoint)
        ...
        assert fake.requests_to("POST", "/v1/projects/p/locations/us-central1/featureOnlineStores")

BigQuery: datasets insert, tables get/delete, Parquet load jobs (multipart uploads, which the client
sends for files under 5 MiB when given their size), query jobs (named parameters bound as literals),
jobs get and getQueryResults (paged by maxResults and pageToken; TIMESTAMP and REPEATED cells). Loaded
Parquet lands in an in-memory DuckDB database (schema = dataset) and queries run there after a small
BigQuery-to-DuckDB rewrite (backtick identifiers, `* EXCEPT`, FLOAT64/INT64), so tests check what
the production SQL computes. Vertex AI v1: featureOnlineStores and featureViews get/create (finished
operations), `:sync` (copies the FeatureView's BigQuery source into the fake online store),
featureViewSyncs get and `:fetchFeatureValues`. Anything else gets a 404 naming it. Every request
is recorded in `requests`.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb

from mlops.testing.fake_vertex_http import RecordedRequest  # the same record as the Vertex AI fake's

_BQ = r"/bigquery/v2/projects/(?P<project>[^/]+)"
_TABLE = _BQ + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)"
_FS = r"/v1/(?P<parent>projects/[^/]+/locations/[^/]+)/featureOnlineStores"
_VIEW = _FS + r"/(?P<store>[^/]+)/featureViews/(?P<view>[^/:]+)"
_ROUTES = [
    ("POST", _BQ + r"/datasets", "_create_dataset"),
    ("GET", _TABLE, "_get_table"),
    ("DELETE", _TABLE, "_delete_table"),
    ("POST", "/upload" + _BQ + r"/jobs", "_upload"),
    ("POST", _BQ + r"/jobs", "_query_job"),
    ("GET", _BQ + r"/jobs/(?P<job>[^/]+)", "_get_job"),
    ("GET", _BQ + r"/queries/(?P<job>[^/]+)", "_query_results"),
    ("GET", _FS + r"/(?P<store>[^/:]+)", "_get"),
    ("POST", _FS, "_create"),
    ("GET", _VIEW, "_get"),
    ("POST", _FS + r"/(?P<store>[^/]+)/featureViews", "_create"),
    ("POST", _VIEW + ":sync", "_sync"),
    ("GET", r"/v1/(?P<sync>projects/.+/featureViewSyncs/[^/]+)", "_get"),
    ("POST", _VIEW + ":fetchFeatureValues", "_fetch"),
]
_BQ_TYPES = {
    "BIGINT": "INTEGER",
    "INTEGER": "INTEGER",
    "DOUBLE": "FLOAT",
    "VARCHAR": "STRING",
    "TIMESTAMP": "DATETIME",
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP",
}
Result = tuple[list[str], list[tuple[Any, ...]], list[str]]  # column names, rows, DuckDB types


class ApiError(Exception):
    """Answered as a Google API error: HTTP `code` and the JSON body the client libraries parse."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code

    def body(self) -> dict[str, Any]:
        status = {404: "NOT_FOUND", 409: "ALREADY_EXISTS", 504: "DEADLINE_EXCEEDED"}.get(self.code, "INVALID_ARGUMENT")
        return {"error": {"code": self.code, "message": str(self), "status": status}}


@dataclass(frozen=True)
class _Call:
    match: dict[str, str]
    query: dict[str, list[str]]
    body: Any
    raw: bytes


def bigquery_to_duckdb(sql: str) -> str:
    """The small rewrite that lets DuckDB run the project's BigQuery SQL templates."""
    sql = re.sub(r"`([^`.]+)\.([^`.]+)\.([^`.]+)`", r'"\2"."\3"', sql)  # `project.dataset.table`
    sql = re.sub(r"`([^`]+)`", r'"\1"', sql)
    sql = re.sub(r"\*\s+EXCEPT\s*\(", "* EXCLUDE (", sql)
    return sql.replace("FLOAT64", "DOUBLE").replace("INT64", "BIGINT")


class FakeFeatureStoreApi:
    """BigQuery + Vertex AI Feature Store on 127.0.0.1, backed by DuckDB and dictionaries."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.db = duckdb.connect()
        self.descriptions: dict[str, str] = {}  # "dataset.table" -> description, for every table
        self.resources: dict[str, dict[str, Any]] = {}  # Vertex AI resources by name
        self.online: dict[str, dict[str, dict[str, Any]]] = {}  # feature view -> entity id -> row
        self.jobs: dict[str, dict[str, Any]] = {}
        self._results: dict[str, Result] = {}
        # HTTP codes (e.g. [504]) the next requests are answered with, one each: an outage to retry.
        self.outages: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeFeatureStoreApi:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        """Requests with `method` whose path starts with `path` (if it starts with /) or contains it."""
        found = [r for r in self.requests if r.method == method]
        return [r for r in found if r.path.startswith(path) or (path[0] != "/" and path in r.path)]

    def table(self, dataset: str, table: str) -> list[tuple[Any, ...]]:
        """All rows of a loaded table, for assertions."""
        return self.db.execute(f'SELECT * FROM "{dataset}"."{table}"').fetchall()

    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, raw: bytes) -> Any:
        if self.outages:
            raise ApiError(self.outages.pop(0), "fake outage: try again later")
        for route_method, pattern, action in _ROUTES:
            if method == route_method and (match := re.fullmatch(pattern, path)):
                with self._lock:
                    return getattr(self, action)(_Call(match.groupdict(), query, body, raw))
        raise ApiError(404, f"fake feature store API: no route for {method} {path}")

    # BigQuery
    def _create_dataset(self, call: _Call) -> Any:
        dataset = call.body["datasetReference"]["datasetId"]
        if self.db.execute("SELECT 1 FROM duckdb_schemas() WHERE schema_name = ?", [dataset]).fetchone():
            raise ApiError(409, f"Already Exists: Dataset {call.match['project']}:{dataset}")
        self.db.execute(f'CREATE SCHEMA "{dataset}"')
        return {**call.body, "id": f"{call.match['project']}:{dataset}"}

    def _get_table(self, call: _Call) -> Any:
        dataset, table = call.match["dataset"], call.match["table"]
        if f"{dataset}.{table}" not in self.descriptions:
            raise ApiError(404, f"Not found: Table {call.match['project']}:{dataset}.{table}")
        names, _, types = self._run(f'SELECT * FROM "{dataset}"."{table}" LIMIT 0')
        reference = {"projectId": call.match["project"], "datasetId": dataset, "tableId": table}
        description = self.descriptions[f"{dataset}.{table}"]
        return {"tableReference": reference, "description": description, "schema": _schema(names, types)}

    def _delete_table(self, call: _Call) -> Any:
        if self.descriptions.pop(f"{call.match['dataset']}.{call.match['table']}", None) is not None:
            self.db.execute(f'DROP TABLE "{call.match["dataset"]}"."{call.match["table"]}"')
        return {}

    def _upload(self, call: _Call) -> Any:
        if call.query.get("uploadType") != ["multipart"]:
            raise ApiError(400, f"fake BigQuery takes multipart uploads only, got {call.query.get('uploadType')}")
        boundary = call.raw.split(b"\r\n", 1)[0]
        parts = [part.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n") for part in call.raw.split(boundary)[1:-1]]
        job, data = json.loads(parts[0]), parts[1]
        load = job["configuration"]["load"]
        dataset, table = load["destinationTable"]["datasetId"], load["destinationTable"]["tableId"]
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "load.parquet").write_bytes(data)
            source = f"read_parquet('{Path(folder, 'load.parquet')}')"
            if f"{dataset}.{table}" in self.descriptions and load.get("writeDisposition") == "WRITE_APPEND":
                self.db.execute(f'INSERT INTO "{dataset}"."{table}" BY NAME SELECT * FROM {source}')
            else:
                self.db.execute(f'CREATE OR REPLACE TABLE "{dataset}"."{table}" AS SELECT * FROM {source}')
            (rows,) = self.db.execute(f"SELECT count(*) FROM {source}").fetchone() or (0,)
        self.descriptions[f"{dataset}.{table}"] = load.get("destinationTableProperties", {}).get("description", "")
        return self._done(job, {"load": {"outputRows": str(rows)}})

    def _query_job(self, call: _Call) -> Any:
        query = call.body["configuration"]["query"]
        sql = _bind(query["query"], query.get("queryParameters", []))
        result = self._run(bigquery_to_duckdb(sql))
        self._results[call.body["jobReference"]["jobId"]] = result
        return self._done(call.body, {"query": {"statementType": "SELECT" if result[0] else "DDL"}})

    def _get_job(self, call: _Call) -> Any:
        return self.jobs[call.match["job"]]

    def _query_results(self, call: _Call) -> Any:
        names, rows, types = self._results[call.match["job"]]
        # Pages as the API gives them: maxResults rows from the offset pageToken carries.
        start = int(call.query.get("pageToken", ["0"])[0])
        size = int(call.query.get("maxResults", [str(len(rows) or 1)])[0]) or len(rows)
        page = rows[start : start + size]
        values = [{"f": [{"v": _cell(value)} for value in row]} for row in page]
        result = {"jobReference": self.jobs[call.match["job"]]["jobReference"], "jobComplete": True}
        result = {**result, "schema": _schema(names, types), "totalRows": str(len(rows)), "rows": values}
        return {**result, "pageToken": str(start + size)} if start + size < len(rows) else result

    def _run(self, sql: str) -> Result:
        try:
            cursor = self.db.execute(sql)
        except duckdb.Error as error:
            raise ApiError(400, f"fake BigQuery cannot run the query: {error}") from None
        if cursor.description is None:
            return [], [], []
        names, types = [d[0] for d in cursor.description], [str(d[1]) for d in cursor.description]
        if any("WITH TIME ZONE" in kind for kind in types):
            # DuckDB's own conversion of zoned timestamps needs pytz, which is not locked; Arrow's does not.
            table = cursor.to_arrow_table()
            return names, [tuple(row.values()) for row in (table.to_pylist() if table is not None else [])], types
        return names, cursor.fetchall(), types

    def _done(self, job: dict[str, Any], statistics: dict[str, Any]) -> dict[str, Any]:
        reference = job["jobReference"]
        job = {**job, "id": f"{reference['projectId']}:{reference['jobId']}", "status": {"state": "DONE"}}
        self.jobs[reference["jobId"]] = {**job, "statistics": statistics}
        return self.jobs[reference["jobId"]]

    # Vertex AI Feature Store
    def _get(self, call: _Call) -> Any:
        name = call.match.get("sync") or _name(call.match)
        if name not in self.resources:
            raise ApiError(404, f"{name} not found")
        return self.resources[name]

    def _create(self, call: _Call) -> Any:
        body = json.loads(json.dumps(call.body))  # a copy: the recorded request stays as sent
        if "store" in call.match:
            kind, name = "FeatureView", f"{_name(call.match)}/featureViews/{call.query['featureViewId'][0]}"
        else:  # an Optimized store with a public endpoint, ready (state 2)
            kind, name = "FeatureOnlineStore", _name({**call.match, "store": call.query["featureOnlineStoreId"][0]})
            body.setdefault("dedicatedServingEndpoint", {})["publicEndpointDomainName"] = "fake.featurestore.invalid"
            body["state"] = 2
        if name in self.resources:
            raise ApiError(409, f"{name} already exists")
        self.resources[name] = {**body, "name": name}
        response = {"@type": f"type.googleapis.com/google.cloud.aiplatform.v1.{kind}", **self.resources[name]}
        return {"name": f"{name}/operations/{uuid.uuid4().hex[:8]}", "done": True, "response": response}

    def _sync(self, call: _Call) -> Any:
        view = _name(call.match)
        source = self.resources[view]["bigQuerySource"]
        names, rows, _ = self._run(bigquery_to_duckdb(f"SELECT * FROM `{source['uri'].removeprefix('bq://')}`"))
        entity = names.index(source["entityIdColumns"][0])
        self.online[view] = {str(row[entity]): dict(zip(names, row, strict=True)) for row in rows}
        sync = f"{view}/featureViewSyncs/{uuid.uuid4().int % 10**12}"
        run_time = {"startTime": "2025-01-01T00:00:00Z", "endTime": "2025-01-01T00:01:00Z"}
        summary = {"rowSynced": str(len(rows))}
        self.resources[sync] = {"name": sync, "finalStatus": {}, "runTime": run_time, "syncSummary": summary}
        return {"featureViewSync": sync}

    def _fetch(self, call: _Call) -> Any:
        view = _name(call.match)
        (key,) = call.body["dataKey"]["compositeKey"]["parts"]
        if (row := self.online.get(view, {}).get(str(key))) is None:
            raise ApiError(404, f"entity {key} not found in {view}")
        skip = {self.resources[view]["bigQuerySource"]["entityIdColumns"][0], "feature_timestamp"}
        return {"keyValues": {"features": [{"name": n, "value": _value(v)} for n, v in row.items() if n not in skip]}}


def _name(match: dict[str, str]) -> str:
    """The resource name of the store (and view) a route matched."""
    name = f"{match['parent']}/featureOnlineStores/{match['store']}"
    return name + (f"/featureViews/{match['view']}" if match.get("view") else "")


def _schema(names: list[str], types: list[str]) -> dict[str, Any]:
    fields = []
    for name, kind in zip(names, types, strict=True):
        repeated = kind.endswith("[]")  # a DuckDB list: a REPEATED field
        bq_type = _BQ_TYPES.get(kind.removesuffix("[]"), "STRING")
        fields.append({"name": name, "type": bq_type, "mode": "REPEATED" if repeated else "NULLABLE"})
    return {"fields": fields}


def _cell(value: Any) -> Any:
    """A value as tabledata JSON has it: a string (DATETIME in ISO form, TIMESTAMP in microseconds
    since the epoch), a list of cells for a REPEATED field, or null."""
    if value is None:
        return None
    if isinstance(value, list):
        return [{"v": _cell(item)} for item in value]
    if getattr(value, "tzinfo", None) is not None:
        return str(round(value.timestamp() * 1_000_000))
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _bind(sql: str, parameters: list[dict[str, Any]]) -> str:
    """`sql` with each named query parameter (@name) replaced by its value as a DuckDB literal."""
    literals = {}
    for parameter in parameters:
        kind, value = parameter["parameterType"]["type"], parameter["parameterValue"].get("value")
        text = "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"
        literals[parameter["name"]] = f"CAST({text} AS TIMESTAMPTZ)" if kind == "TIMESTAMP" else text
    return re.sub(r"@(\w+)", lambda match: literals.get(match.group(1), match.group(0)), sql)


def _value(value: Any) -> dict[str, Any]:
    """A FeatureValue as the REST API writes it (int64 as a string)."""
    if value is None:
        return {}
    if isinstance(value, bool | float):
        return {"boolValue" if isinstance(value, bool) else "doubleValue": value}
    return {"int64Value": str(value)} if isinstance(value, int) else {"stringValue": str(value)}


def _handler(fake: FakeFeatureStoreApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                body = raw
            fake.requests.append(RecordedRequest(self.command, parts.path, query, body))
            try:
                status, payload = 200, fake.handle(self.command, parts.path, query, body, raw)
            except ApiError as error:
                status, payload = error.code, error.body()
            except Exception as error:  # a bug in the fake: answer (400, never retried) rather than hang up
                status, payload = 400, ApiError(400, f"fake failed: {error!r}").body()
            data = json.dumps(payload, default=str).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
