"""BigQuery tables (`bq://PROJECT.DATASET.TABLE`) as the source and the destination of batch predictions.

Source: the needed columns are read by one query through the official google-cloud-bigquery client,
page by page (`chunk_rows` rows a page) as Arrow record batches, so memory stays flat as for files.
The columns are checked first from the query's schema: BigQuery tables are typed, so a column the
model reads as numbers must be numeric there (cast text in a view), and no values are scanned.

Destination: the predictions are first written to a local Parquet file (outputs.py, chunk by chunk), then loaded
with one load job through the official google-cloud-bigquery client, replacing the table's rows
(WRITE_TRUNCATE). A load job is atomic, so a failed run, or a failed load, leaves the table as it
was. The local file needs disk room for the compressed predictions, not memory.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from mlops.google_api import credentials_for

# As ingest's sources: project ids may contain dashes (and a `domain:` prefix); dataset ids are
# letters, digits and underscores; table ids may also have dashes.
_TABLE_ID = re.compile(r"^bq://(?P<project>[a-z][a-z0-9:.-]*[a-z0-9])\.(?P<dataset>\w+)\.(?P<table>[\w-]+)$")


# BigQuery's legacy and standard type names, as the query schema reports them.
_NUMERIC = {"INTEGER", "INT64", "FLOAT", "FLOAT64", "NUMERIC", "BIGNUMERIC"}
_TIMES = {"TIMESTAMP", "DATETIME", "DATE"}


class BigQueryError(Exception):
    """The BigQuery table is malformed, cannot be read, or the load failed. The message names the table."""


@dataclass(frozen=True)
class BigQueryInput:
    """A checked BigQuery source: its rows, and the query reading the needed columns."""

    uri: str
    rows: int
    query: str


def open_table(
    uri: str, needed: Mapping[str, str], key_columns: Sequence[str], *, endpoint: str | None = None
) -> BigQueryInput:
    """Check that the table has every needed and key column, of the kind needed; count its rows."""
    _, table_id = parse_table(uri)
    with _client(uri, endpoint) as client:
        schema = _run(client, uri, f"SELECT * FROM `{table_id}` LIMIT 0").schema
        types = {field.name: field.field_type for field in schema}
        columns = list(dict.fromkeys([*key_columns, *needed]))
        if missing := [name for name in columns if name not in types]:
            raise BigQueryError(
                f"{uri}: missing column(s) {', '.join(missing)}; the model reads {', '.join(needed)}; "
                f"the table has {', '.join(types)}"
            )
        for name, kind in needed.items():
            allowed = _NUMERIC if kind == "numeric" else _TIMES if kind == "timestamp" else None
            if allowed is not None and types[name] not in allowed:
                words = "numbers" if kind == "numeric" else "timestamps"
                raise BigQueryError(
                    f"{uri}: column {name!r} is {types[name]}, but the model needs {words} (cast it in a view)"
                )
        ((rows,),) = list(_run(client, uri, f"SELECT COUNT(*) FROM `{table_id}`"))
    if not rows:
        raise BigQueryError(f"{uri}: has no rows to predict")
    select = ", ".join(f"`{name}`" for name in columns)  # names checked against the schema above
    return BigQueryInput(uri, int(rows), f"SELECT {select} FROM `{table_id}`")


def read_batches(table: BigQueryInput, chunk_rows: int, *, endpoint: str | None = None) -> Iterator[pa.RecordBatch]:
    """The needed columns of `table`, one Arrow record batch per page of at most `chunk_rows` rows."""
    from google.api_core import exceptions  # pants: no-infer-dep (comes with google-cloud-bigquery)

    with _client(table.uri, endpoint) as client:
        pages = _run(client, table.uri, table.query, page_size=chunk_rows)
        try:
            yield from pages.to_arrow_iterable()
        except exceptions.GoogleAPICallError as error:
            raise BigQueryError(f"{table.uri}: BigQuery could not read the table: {error.message}") from None


@contextmanager
def _client(uri: str, endpoint: str | None) -> Iterator[Any]:
    from google.cloud import bigquery

    client = bigquery.Client(
        project=parse_table(uri)[0],
        credentials=credentials_for(None, endpoint),
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )
    try:
        yield client
    finally:
        client.close()


def _run(client: Any, uri: str, sql: str, page_size: int | None = None) -> Any:
    from google.api_core import exceptions  # pants: no-infer-dep (comes with google-cloud-bigquery)

    try:
        return client.query(sql).result(page_size=page_size)
    except exceptions.GoogleAPICallError as error:
        raise BigQueryError(f"{uri}: BigQuery could not read the table: {error.message}") from None


def parse_table(uri: str) -> tuple[str, str]:
    """`bq://PROJECT.DATASET.TABLE` -> (project, "PROJECT.DATASET.TABLE"); an error names the URI."""
    match = _TABLE_ID.match(uri)
    if not match:
        raise BigQueryError(f"{uri}: expected bq://PROJECT.DATASET.TABLE")
    return match["project"], f"{match['project']}.{match['dataset']}.{match['table']}"


def load_parquet(path: str, uri: str, *, endpoint: str | None = None, credentials: Any = None) -> int:
    """Replace the rows of the table `uri` with the Parquet file at `path`; returns the rows loaded.

    `endpoint` points the client at another API root (a test's local fake); an `http://` endpoint
    gets anonymous credentials.
    """
    from google.api_core import exceptions  # pants: no-infer-dep (comes with google-cloud-bigquery)
    from google.cloud import bigquery

    project, table_id = parse_table(uri)
    client = bigquery.Client(
        project=project,
        credentials=credentials_for(credentials, endpoint),
        client_options={"api_endpoint": endpoint} if endpoint else None,
    )
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET, write_disposition=bigquery.WriteDisposition.WRITE_TRUNCATE
    )
    try:
        with open(path, "rb") as stream:
            job = client.load_table_from_file(stream, table_id, size=os.path.getsize(path), job_config=config)
        job.result()
        return int(job.output_rows or 0)
    except exceptions.GoogleAPICallError as error:
        raise BigQueryError(f"{uri}: BigQuery could not load the predictions: {error.message}") from None
    finally:
        client.close()
