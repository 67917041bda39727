"""A window of Vertex AI's request-response log (BigQuery) as request log files that
mlops.monitoring.monitor reads like the local server's (docs/monitoring.md, "Serving data").

Vertex AI writes a sample of an endpoint's requests to the table `serving.request_logging.bigquery_table`
names: `logging_time`, `request_id`, `deployed_model_id`, and `request_payload`, one JSON instance
per element (`response_payload` likewise, unused here). The window is read by one parameterized
query (sql/request_response_window.sql) through the official google-cloud-bigquery client, page by
page, each page written as one Parquet file of the request log's schema (mlops.request_log_schema)
with the baseline's features only: memory holds one page, whatever the window's size.

What the table cannot give: latency (Vertex does not log it) and failed requests (only answered ones
are logged), so the window's serving health has no latency and no errors; on Vertex AI those are
Cloud Monitoring's endpoint metrics (terraform's serving-errors alert). An instance that is not a
JSON object is counted and skipped, never guessed at.
"""

from __future__ import annotations

import importlib.resources
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlops import storage
from mlops.google_api import credentials_for
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.serving_log import Window
from mlops.request_log_schema import log_value, request_log_schema

log = logging.getLogger(__name__)
PAGE_ROWS = 5_000  # requests a page; each holds one or more instances


@dataclass(frozen=True)
class ExportedWindow:
    """What `export_window` wrote: the folder, its instances, and the instances it could not read."""

    folder: str
    requests: int
    instances: int
    unreadable: int


def export_window(
    table: str,
    window: Window,
    inputs: Mapping[str, str],
    folder: str,
    model_sha256: str,
    *,
    deployed_model_id: str = "",
    endpoint: str | None = None,
    page_rows: int = PAGE_ROWS,
) -> ExportedWindow:
    """Write the requests of `table` (bq://PROJECT.DATASET.TABLE) logged in `window` under `folder`.

    `inputs` are the monitored columns and their kinds ("number" or "category": the baseline's),
    `model_sha256` the version the rows are recorded for (monitor_window selects by it), and
    `deployed_model_id` the deployed model to keep ("" for every one on the endpoint). `endpoint`
    points the client at another API root (a test's fake). MonitoringError names the table if it
    cannot be read. Without `endpoint`, $BIGQUERY_EMULATOR_HOST (google-cloud-bigquery's emulator
    setting) if set, else BigQuery.
    """
    from google.api_core import exceptions  # pants: no-infer-dep (comes with google-cloud-bigquery)
    from google.cloud import bigquery

    # The client's own emulator setting, so that a test (or a local emulator) reaches the same code.
    endpoint = endpoint or os.environ.get("BIGQUERY_EMULATOR_HOST") or None
    project, table_id = _parse(table)
    sql = importlib.resources.files("mlops.monitoring").joinpath("sql/request_response_window.sql").read_text()
    parameters = [
        bigquery.ScalarQueryParameter("start", "TIMESTAMP", window.start),
        bigquery.ScalarQueryParameter("end", "TIMESTAMP", window.end),
        bigquery.ScalarQueryParameter("deployed_model_id", "STRING", deployed_model_id),
    ]
    schema = request_log_schema(dict(inputs))
    client = bigquery.Client(
        project=project,
        credentials=credentials_for(None, endpoint),
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )
    requests = instances = unreadable = 0
    try:
        config = bigquery.QueryJobConfig(query_parameters=parameters)
        job = client.query(sql.replace("{table}", table_id), job_config=config)
        for number, page in enumerate(job.result(page_size=page_rows).pages):
            rows: list[dict[str, Any]] = []
            for request in page:
                requests += 1
                found, bad = _instances(request, inputs, model_sha256)
                rows.extend(found)
                unreadable += bad
            if rows:
                _write(pa.Table.from_pylist(rows, schema=schema), storage.join(folder, f"vertex-{number:06d}.parquet"))
                instances += len(rows)
    except exceptions.GoogleAPICallError as error:
        raise MonitoringError(f"{table}: BigQuery could not read the request-response log: {error.message}") from None
    finally:
        client.close()
    if unreadable:
        log.warning("%s: %d logged instance(s) in %s are not JSON objects; skipped", table, unreadable, window)
    return ExportedWindow(folder, requests, instances, unreadable)


def _instances(request: Any, inputs: Mapping[str, str], sha: str) -> tuple[list[dict[str, Any]], int]:
    """One request's rows in the request log's shape, and how many instances could not be read."""
    rows, bad = [], 0
    for index, text in enumerate(request["request_payload"] or []):
        try:
            instance = json.loads(text)
        except (TypeError, json.JSONDecodeError):
            instance = None
        if not isinstance(instance, dict):
            bad += 1
            continue
        row: dict[str, Any] = {
            "request_time": request["logging_time"],
            "request_id": request["request_id"],
            "instance_index": index,
            "model_sha256": sha,
            "status": 200,  # Vertex logs answered requests
            "latency_ms": None,  # not in the table
        }
        for column, kind in inputs.items():
            value = instance.get(column)
            if kind != "number" and isinstance(value, float) and value.is_integer():
                value = int(value)  # a category sent as 1.0 is "1", as monitoring's bins read it
            try:
                row[column] = log_value(value, kind)
            except (TypeError, ValueError):
                row[column] = None  # the server would have refused it; Vertex logged it anyway
        rows.append(row)
    return rows, bad


def _write(table: pa.Table, uri: str) -> None:
    """One Parquet file, whole or not at all (mlops.storage writes through a temporary name)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    storage.write_bytes(uri, sink.getvalue().to_pybytes())


def split_source(source: str) -> tuple[str, str]:
    """`bq://P.D.T?deployed_model_id=ID` -> ("bq://P.D.T", "ID"); without the query, ID is ""."""
    table, _, query = source.partition("?")
    options = dict(part.partition("=")[::2] for part in query.split("&") if part)
    if unknown := sorted(set(options) - {"deployed_model_id"}):
        raise MonitoringError(f"{source!r}: unknown option(s) {unknown}; the only one is deployed_model_id")
    _parse(table)
    return table, options.get("deployed_model_id", "")


def _parse(table: str) -> tuple[str, str]:
    """`bq://PROJECT.DATASET.TABLE` -> (project, "PROJECT.DATASET.TABLE"); MonitoringError otherwise."""
    match = re.fullmatch(r"bq://([a-z][a-z0-9:.-]*[a-z0-9])\.(\w+)\.([\w-]+)", table)
    if not match:
        raise MonitoringError(f"{table!r}: expected the request-response table as bq://PROJECT.DATASET.TABLE")
    return match.group(1), ".".join(match.groups())
