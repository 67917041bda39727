"""Where ingest reads from, as a DuckDB table expression.

- CSV or Parquet files, globs or folders, local or behind any fsspec URI (gs://...);
- `bq://PROJECT.DATASET.TABLE[?limit=N]`: a BigQuery table, read through the BigQuery API
  (ingest.bigquery);
- `sample://PROBLEM?rows=N&seed=S&drift=D&bad_rows=F`: seeded synthetic data (mlops.sample_data),
  so demos, tests and benchmarks need no data set download.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import duckdb

from ingest.bigquery import BigQuerySourceError, read_bigquery
from mlops import file_tables
from mlops.csv_files import CsvError, CsvOptions, check_csv
from mlops.sample_data import SampleSpec, generate


class SourceError(Exception):
    """The source cannot be read. The message names the source."""


@dataclass(frozen=True)
class Source:
    relation: str  # a SQL table expression
    skipped_rows: int = 0  # CSV rows dropped as unparsable (data.csv.bad_rows: skip)
    rows: int | None = None  # known already when a CSV file was scanned for bad rows


def open_source(
    connection: duckdb.DuckDBPyConnection,
    uri: str,
    *,
    bigquery_endpoint: str | None = None,
    csv: CsvOptions | None = None,
) -> Source:
    """The source at `uri`, checked: a CSV file is scanned once and bad rows raise SourceError.

    `bigquery_endpoint` points `bq://` sources at another BigQuery API root (an emulator or a fake);
    `csv` says how to parse CSV files (other sources ignore it).
    """
    if uri.startswith("sample://"):
        return Source(sample_relation(connection, uri))
    if uri.startswith("bq://"):
        try:
            connection.register("bigquery_rows", read_bigquery(uri, endpoint=bigquery_endpoint))
        except BigQuerySourceError as error:
            raise SourceError(str(error)) from None
        return Source("bigquery_rows")
    options = csv or CsvOptions()
    relation = file_relation(connection, uri, options)
    if not relation.startswith("read_csv("):
        return Source(relation)
    try:
        scan = check_csv(connection, uri, relation, options)
    except CsvError as error:
        raise SourceError(str(error)) from None
    return Source(relation, scan.skipped_rows, scan.rows)


def sample_relation(connection: duckdb.DuckDBPyConnection, uri: str) -> str:
    parts = urlsplit(uri)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if unknown := set(query) - {"rows", "seed", "drift", "bad_rows"}:
        raise SourceError(f"{uri}: unknown sample parameter(s) {sorted(unknown)}; use rows, seed, drift, bad_rows")
    try:
        spec = SampleSpec(
            problem=parts.netloc,
            rows=int(query.get("rows", 10_000)),
            seed=int(query.get("seed", 7)),
            drift=float(query.get("drift", 0.0)),
            bad_row_fraction=float(query.get("bad_rows", 0.0)),
        )
    except ValueError as error:
        raise SourceError(f"{uri}: {error}") from None
    connection.register("sample_rows", generate(spec))
    return "sample_rows"


def file_relation(connection: duckdb.DuckDBPyConnection, uri: str, csv: CsvOptions | None = None) -> str:
    """mlops.file_tables.file_relation (shared with batch prediction), its errors as SourceError."""
    try:
        return file_tables.file_relation(connection, uri, csv)
    except file_tables.TableFileError as error:
        raise SourceError(str(error)) from None
