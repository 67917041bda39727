"""BigQuery tables as an ingest source: `bq://PROJECT.DATASET.TABLE[?limit=N]`.

The table is read with one query (sql/read_bigquery.sql) through the official google-cloud-bigquery
client and handed to DuckDB as Arrow, so it is split by the same SQL as a file source. The result
is held in memory: for tables larger than the step's memory, export them to Parquet on GCS
(`EXPORT DATA ... FORMAT = 'PARQUET'`) and point the source at that folder, which DuckDB streams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa

from mlops.google_api import credentials_for
from mlops.retries import transient_cause

# Project ids may contain dashes (and a `domain:` prefix); dataset and table ids are letters, digits
# and underscores (tables may also have dashes).
_TABLE_ID = re.compile(r"^(?P<project>[a-z][a-z0-9:.-]*[a-z0-9])\.(?P<dataset>\w+)\.(?P<table>[\w-]+)$")


class BigQuerySourceError(Exception):
    """The BigQuery source URI is malformed or the table cannot be read. The message names it."""


@dataclass(frozen=True)
class BigQueryTable:
    project: str
    dataset: str
    table: str
    limit: int | None = None

    @property
    def table_id(self) -> str:
        return f"{self.project}.{self.dataset}.{self.table}"


def parse_bigquery_uri(uri: str) -> BigQueryTable:
    """`bq://PROJECT.DATASET.TABLE[?limit=N]` -> BigQueryTable, or BigQuerySourceError naming the problem."""
    parts = urlsplit(uri)
    match = _TABLE_ID.match(parts.netloc + parts.path)
    if parts.scheme != "bq" or not match:
        raise BigQuerySourceError(f"{uri}: expected bq://PROJECT.DATASET.TABLE")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if unknown := set(query) - {"limit"}:
        raise BigQuerySourceError(f"{uri}: unknown parameter(s) {sorted(unknown)}; the only one is limit")
    limit = None
    if "limit" in query:
        if not query["limit"].isdigit() or int(query["limit"]) < 1:
            raise BigQuerySourceError(f"{uri}: limit must be a whole number of at least 1, got {query['limit']!r}")
        limit = int(query["limit"])
    return BigQueryTable(match["project"], match["dataset"], match["table"], limit)


def render_read_sql(table: BigQueryTable) -> str:
    """The read query from its template; the table id is backquoted, the limit an int."""
    template = resources.files("ingest").joinpath("sql", "read_bigquery.sql").read_text()
    return template.format(table=f"`{table.table_id}`", limit=f"LIMIT {table.limit}" if table.limit else "")


def read_bigquery(uri: str, *, endpoint: str | None = None, credentials: Any = None) -> pa.Table:
    """Run the read query for `uri` and return the rows as Arrow.

    `endpoint` points the client at another API root (an emulator, or a test's local fake); an
    `http://` endpoint gets anonymous credentials.
    """
    from google.api_core import exceptions  # pants: no-infer-dep (comes with google-cloud-bigquery)
    from google.cloud import bigquery

    table = parse_bigquery_uri(uri)
    client = bigquery.Client(
        project=table.project,
        credentials=credentials_for(credentials, endpoint),
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )
    try:
        return client.query(render_read_sql(table)).result().to_arrow(create_bqstorage_client=False)
    except exceptions.GoogleAPICallError as error:
        message = f"{uri}: BigQuery could not read {table.table_id}: {error.message}"
        raise BigQuerySourceError(message) from transient_cause(error)
    finally:
        client.close()
