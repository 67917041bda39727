"""A local fake of the BigQuery and Vertex AI Feature Store REST APIs, for tests of the real SDKs.

    with FakeFeatureStoreApi() as fake:
        store = VertexFeatureStore("p", "us-central1", "features", "online", api_endpoint=fake.endpoint)
        ...
        assert fake.requests_to("POST", ":sync")

BigQuery: datasets insert, tables get/delete, Parquet load jobs (multipart uploads: what the client
sends for files under 5 MiB when it is told their size), query jobs, jobs get and getQueryResults. Loaded Parquet lands in an in-memory DuckDB database
(schema = dataset), and queries run there after a small BigQuery-to-DuckDB rewrite (backtick
identifiers, `* EXCEPT`, FLOAT64/INT64), so a test checks what the production SQL computes.
Vertex AI v1: featureOnlineStores and featureViews get/create (finished operations), `:sync` (reads
the FeatureView's BigQuery source into the fake online store), featureViewSyncs get, and
`:fetchFeatureValues`. Other calls get a 404 naming them. Every request is kept in `requests`.
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

_BQ = r"/bigquery/v2/projects/(?P<project>[^/]+)"
_FS = r"/v1/(?P<parent>projects/[^/]+/locations/[^/]+)/featureOnlineStores"
_BQ_TYPES = {"BIGINT": "INTEGER", "INTEGER": "INTEGER", "DOUBLE": "FLOAT", "VARCHAR": "STRING", "BOOLEAN": "BOOLEAN"}


class ApiError(Exception):
    """Answered as a Google API error: HTTP `code` and a JSON body the client libraries parse."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code

    def body(self) -> dict[str, Any]:
        status = {404: "NOT_FOUND", 409: "ALREADY_EXISTS"}.get(self.code, "INVALID_ARGUMENT")
        return {"error": {"code": self.code, "message": str(self), "status": status}}


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received; `body` is parsed JSON, else the raw bytes."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


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
        self.descriptions: dict[str, str] = {}
        self.resources: dict[str, dict[str, Any]] = {}  # Vertex AI resources by name
        self.online: dict[str, dict[str, dict[str, Any]]] = {}  # feature view -> entity -> row
        self.jobs: dict[str, dict[str, Any]] = {}
        self._results: dict[str, tuple[list[str], list[tuple[Any, ...]], list[str]]] = {}
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
        return [
            r
            for r in self.requests
            if r.method == method and (r.path.startswith(path) or path[0] != "/" and path in r.path)
        ]

    def table(self, dataset: str, table: str) -> list[tuple[Any, ...]]:
        """All rows of a loaded table, for assertions."""
        return self.db.execute(f'SELECT * FROM "{dataset}"."{table}"').fetchall()

    # --- BigQuery -------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: dict[str, list[str]], body: Any, raw: bytes) -> Any:
        routes: list[tuple[str, str, Any]] = [
            ("POST", _BQ + r"/datasets", self._create_dataset),
            ("GET", _BQ + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)", self._get_table),
            ("DELETE", _BQ + r"/datasets/(?P<dataset>[^/]+)/tables/(?P<table>[^/]+)", self._delete_table),
            ("POST", "/upload" + _BQ + r"/jobs", self._upload),
            ("POST", _BQ + r"/jobs", self._query_job),
            ("GET", _BQ + r"/jobs/(?P<job>[^/]+)", lambda m, q, b, r: self.jobs[m["job"]]),
            ("GET", _BQ + r"/queries/(?P<job>[^/]+)", self._query_results),
            ("GET", _FS + r"/(?P<store>[^/:]+)", self._get),
            ("POST", _FS, self._create),
            ("GET", _FS + r"/(?P<store>[^/]+)/featureViews/(?P<view>[^/:]+)", self._get),
            ("POST", _FS + r"/(?P<store>[^/]+)/featureViews", self._create),
            ("POST", _FS + r"/(?P<store>[^/]+)/featureViews/(?P<view>[^/:]+):sync", self._sync),
            ("GET", r"/v1/(?P<sync>projects/.+/featureViewSyncs/[^/]+)", self._get),
            ("POST", _FS + r"/(?P<store>[^/]+)/featureViews/(?P<view>[^/:]+):fetchFeatureValues", self._fetch),
        ]
        for route_method, pattern, action in routes:
            if method == route_method and (match := re.fullmatch(pattern, path)):
                with self._lock:
                    return action(match.groupdict(), query, body, raw)
        raise ApiError(404, f"fake feature store API: no route for {method} {path}")

    def _create_dataset(self, match: dict[str, str], query: Any, body: Any, raw: bytes) -> Any:
        dataset = body["datasetReference"]["datasetId"]
        if self.db.execute("SELECT 1 FROM duckdb_schemas() WHERE schema_name = ?", [dataset]).fetchone():
            raise ApiError(409, f"Already Exists: Dataset {match['project']}:{dataset}")
        self.db.execute(f'CREATE SCHEMA "{dataset}"')
        return {**body, "id": f"{match['project']}:{dataset}"}

    def _get_table(self, match: dict[str, str], query: Any, body: Any, raw: bytes) -> Any:
        key = f"{match['dataset']}.{match['table']}"
        if key not in self.descriptions:
            raise ApiError(404, f"Not found: Table {match['project']}:{key}")
        names, _, types = self._run(f'SELECT * FROM "{match["dataset"]}"."{match["table"]}" LIMIT 0')
        reference = {"projectId": match["project"], "datasetId": match["dataset"], "tableId": match["table"]}
        return {"tableReference": reference, "description": self.descriptions[key], "schema": _schema(names, types)}

    def _delete_table(self, match: dict[str, str], query: Any, body: Any, raw: bytes) -> Any:
        key = f"{match['dataset']}.{match['table']}"
        if self.descriptions.pop(key, None) is not None:
            self.db.execute(f'DROP TABLE "{match["dataset"]}"."{match["table"]}"')
        return {}

    def _upload(self, match: dict[str, str], query: dict[str, list[str]], body: Any, raw: bytes) -> Any:
        if query.get("uploadType") != ["multipart"]:
            raise ApiError(400, f"fake BigQuery takes multipart uploads only, got {query.get('uploadType')}")
        boundary = raw.split(b"\r\n", 1)[0]
        parts = [part.split(b"\r\n\r\n", 1)[1].removesuffix(b"\r\n") for part in raw.split(boundary)[1:-1]]
        return self._load(json.loads(parts[0]), parts[1])

    def _load(self, job: dict[str, Any], data: bytes) -> dict[str, Any]:
        load = job["configuration"]["load"]
        destination = load["destinationTable"]
        name = f'"{destination["datasetId"]}"."{destination["tableId"]}"'
        key = f"{destination['datasetId']}.{destination['tableId']}"
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "load.parquet")
            path.write_bytes(data)
            source = f"read_parquet('{path}')"
            if key in self.descriptions and load.get("writeDisposition") == "WRITE_APPEND":
                self.db.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {source}")
            else:
                self.db.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM {source}")
            (rows,) = self.db.execute(f"SELECT count(*) FROM {source}").fetchone() or (0,)
        self.descriptions[key] = load.get("destinationTableProperties", {}).get("description", "")
        return self._done(job, {"load": {"outputRows": str(rows)}})

    def _query_job(self, match: dict[str, str], query: Any, body: dict[str, Any], raw: bytes) -> Any:
        self._results[body["jobReference"]["jobId"]] = self._run(
            bigquery_to_duckdb(body["configuration"]["query"]["query"])
        )
        return self._done(body, {"query": {"statementType": "SELECT"}})

    def _query_results(self, match: dict[str, str], query: Any, body: Any, raw: bytes) -> Any:
        names, rows, types = self._results[match["job"]]
        job = self.jobs[match["job"]]
        values = [{"f": [{"v": _cell(value)} for value in row]} for row in rows]
        result = {"jobReference": job["jobReference"], "jobComplete": True, "schema": _schema(names, types)}
        return {**result, "totalRows": str(len(rows)), "rows": values}

    def _run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]], list[str]]:
        try:
            cursor = self.db.execute(sql)
        except duckdb.Error as error:
            raise ApiError(400, f"fake BigQuery cannot run the query: {error}") from None
        if cursor.description is None:
            return [], [], []
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
        return names, rows, [str(d[1]) for d in cursor.description]

    def _done(self, job: dict[str, Any], statistics: dict[str, Any]) -> dict[str, Any]:
        reference = job["jobReference"]
        job = {**job, "id": f"{reference['projectId']}:{reference['jobId']}", "status": {"state": "DONE"}}
        self.jobs[reference["jobId"]] = {**job, "statistics": statistics}
        return self.jobs[reference["jobId"]]

    # --- Vertex AI Feature Store ----------------------------------------------------------
    def _get(self, match: dict[str, str], query: Any, body: Any, raw: bytes) -> Any:
        name = match.get("sync") or self._name_from(match)
        if name not in self.resources:
            raise ApiError(404, f"{name} not found")
        return self.resources[name]

    def _create(self, match: dict[str, str], query: dict[str, list[str]], body: dict[str, Any], raw: bytes) -> Any:
        body = json.loads(json.dumps(body))  # a copy: the recorded request stays as sent
        kind = "FeatureView" if "store" in match else "FeatureOnlineStore"
        name = f"{match['parent']}/featureOnlineStores/" + (
            f"{match['store']}/featureViews/{query['featureViewId'][0]}"
            if "store" in match
            else query["featureOnlineStoreId"][0]
        )
        if kind == "FeatureOnlineStore":  # an Optimized store with a public endpoint, ready (state 2)
            body.setdefault("dedicatedServingEndpoint", {})["publicEndpointDomainName"] = "fake.featurestore.invalid"
            body["state"] = 2
        if name in self.resources:
            raise ApiError(409, f"{name} already exists")
        self.resources[name] = {**body, "name": name}
        response = {"@type": f"type.googleapis.com/google.cloud.aiplatform.v1.{kind}", **self.resources[name]}
        return {"name": f"{name}/operations/{uuid.uuid4().hex[:8]}", "done": True, "response": response}

    def _sync(self, match: dict[str, str], query: Any, body: Any, raw: bytes) -> Any:
        view_name = self._name_from(match)
        view = self.resources[view_name]
        source = view["bigQuerySource"]
        table = source["uri"].removeprefix("bq://")
        names, rows, _ = self._run(bigquery_to_duckdb(f"SELECT * FROM `{table}`"))
        entity = source["entityIdColumns"][0]
        self.online[view_name] = {str(row[names.index(entity)]): dict(zip(names, row, strict=True)) for row in rows}
        sync_name = f"{view_name}/featureViewSyncs/{uuid.uuid4().int % 10**12}"
        run_time = {"startTime": "2025-01-01T00:00:00Z", "endTime": "2025-01-01T00:01:00Z"}
        summary = {"rowSynced": str(len(rows))}
        self.resources[sync_name] = {"name": sync_name, "finalStatus": {}, "runTime": run_time, "syncSummary": summary}
        return {"featureViewSync": sync_name}

    def _fetch(self, match: dict[str, str], query: Any, body: dict[str, Any], raw: bytes) -> Any:
        view_name = self._name_from(match)
        key = body.get("dataKey", {}).get("compositeKey", {}).get("parts", [body.get("dataKey", {}).get("key")])[0]
        row = self.online.get(view_name, {}).get(str(key))
        if row is None:
            raise ApiError(404, f"entity {key} not found in {view_name}")
        entity = self.resources[view_name]["bigQuerySource"]["entityIdColumns"][0]
        features = [
            {"name": n, "value": _feature_value(v)} for n, v in row.items() if n not in (entity, "feature_timestamp")
        ]
        return {"keyValues": {"features": features}}

    @staticmethod
    def _name_from(match: dict[str, str]) -> str:
        name = f"{match['parent']}/featureOnlineStores/{match['store']}"
        return name + (f"/featureViews/{match['view']}" if match.get("view") else "")


def _schema(names: list[str], types: list[str]) -> dict[str, Any]:
    return {
        "fields": [
            {"name": n, "type": _BQ_TYPES.get(t, "DATETIME" if t == "TIMESTAMP" else "STRING"), "mode": "NULLABLE"}
            for n, t in zip(names, types, strict=True)
        ]
    }


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _feature_value(value: Any) -> dict[str, Any]:
    """A FeatureValue as the REST API writes it (int64 as a string)."""
    kinds = (
        (type(None), None),
        (bool, "boolValue"),
        (int, "int64Value"),
        (float, "doubleValue"),
        (object, "stringValue"),
    )
    key = next(key for kind, key in kinds if isinstance(value, kind))
    return {} if key is None else {key: str(value) if key in ("int64Value", "stringValue") else value}


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

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
