"""A BigQuery table as the destination of batch predictions: `bq://PROJECT.DATASET.TABLE`.

The predictions are first written to a local Parquet file (outputs.py, chunk by chunk), then loaded
with one load job through the official google-cloud-bigquery client, replacing the table's rows
(WRITE_TRUNCATE). A load job is atomic, so a failed run, or a failed load, leaves the table as it
was. The local file needs disk room for the compressed predictions, not memory.
"""

from __future__ import annotations

import os
import re
from typing import Any

from mlops.google_api import credentials_for

# As ingest's sources: project ids may contain dashes (and a `domain:` prefix); dataset ids are
# letters, digits and underscores; table ids may also have dashes.
_TABLE_ID = re.compile(r"^bq://(?P<project>[a-z][a-z0-9:.-]*[a-z0-9])\.(?P<dataset>\w+)\.(?P<table>[\w-]+)$")


class BigQueryDestinationError(Exception):
    """The BigQuery destination is malformed or the load failed. The message names the table."""


def parse_destination(uri: str) -> tuple[str, str]:
    """`bq://PROJECT.DATASET.TABLE` -> (project, "PROJECT.DATASET.TABLE"); an error names the URI."""
    match = _TABLE_ID.match(uri)
    if not match:
        raise BigQueryDestinationError(f"{uri}: expected bq://PROJECT.DATASET.TABLE")
    return match["project"], f"{match['project']}.{match['dataset']}.{match['table']}"


def load_parquet(path: str, uri: str, *, endpoint: str | None = None, credentials: Any = None) -> int:
    """Replace the rows of the table `uri` with the Parquet file at `path`; returns the rows loaded.

    `endpoint` points the client at another API root (a test's local fake); an `http://` endpoint
    gets anonymous credentials.
    """
    from google.api_core import exceptions  # pants: no-infer-dep (comes with google-cloud-bigquery)
    from google.cloud import bigquery

    project, table_id = parse_destination(uri)
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
        raise BigQueryDestinationError(f"{uri}: BigQuery could not load the predictions: {error.message}") from None
    finally:
        client.close()
