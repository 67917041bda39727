"""Where ingest reads from, as a DuckDB table expression.

- CSV or Parquet files, globs or folders, local or behind any fsspec URI (gs://...);
- `bq://PROJECT.DATASET.TABLE[?limit=N]`: a BigQuery table, read through the BigQuery API
  (ingest.bigquery);
- `sample://PROBLEM?rows=N&seed=S&drift=D&bad_rows=F`: seeded synthetic data (mlops.sample_data),
  so demos, tests and benchmarks need no data set download.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import duckdb

from ingest.bigquery import BigQuerySourceError, read_bigquery
from mlops import file_tables
from mlops.csv_files import CsvError, CsvOptions, check_csv, unnamed_columns
from mlops.retries import transient_cause
from mlops.sample_data import SampleSpec, generate
from mlops.sql import quote_identifier


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
    drop_columns: Sequence[str] = (),
) -> Source:
    """The source at `uri`, checked: a CSV file is scanned once and bad rows raise SourceError.

    `bigquery_endpoint` points `bq://` sources at another BigQuery API root (an emulator or a fake);
    `csv` says how to parse CSV files (other sources ignore it). A CSV column with an empty header
    is named `unnamed_<position>` (csv_files.unnamed_columns); `drop_columns` are left out, and one
    that is not a column raises SourceError.
    """
    source = _open(connection, uri, bigquery_endpoint, csv)
    names = [row[0] for row in connection.execute(f"DESCRIBE SELECT * FROM {source.relation}").fetchall()]
    renamed = unnamed_columns(connection, uri, names, csv or CsvOptions()) if _is_csv(source) else {}
    columns = {renamed.get(name, name): name for name in names}  # the name we use -> the name DuckDB read
    if missing := [name for name in drop_columns if name not in columns]:
        raise SourceError(
            f"{uri}: data.drop_columns lists {missing}, which are not columns; columns are: {', '.join(columns)}"
        )
    if not renamed and not drop_columns:
        return source
    kept = [
        f"{quote_identifier(read)} AS {quote_identifier(name)}"
        for name, read in columns.items()
        if name not in drop_columns
    ]
    return Source(f"(SELECT {', '.join(kept)} FROM {source.relation})", source.skipped_rows, source.rows)


def _is_csv(source: Source) -> bool:
    return source.relation.startswith("read_csv(")


def _open(
    connection: duckdb.DuckDBPyConnection, uri: str, bigquery_endpoint: str | None, csv: CsvOptions | None
) -> Source:
    if uri.startswith("sample://"):
        return Source(sample_relation(connection, uri))
    if uri.startswith("bq://"):
        try:
            connection.register("bigquery_rows", read_bigquery(uri, endpoint=bigquery_endpoint))
        except BigQuerySourceError as error:
            raise SourceError(str(error)) from transient_cause(error)
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
