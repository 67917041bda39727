"""CSV and Parquet files (a path, glob or folder; local or any fsspec URI such as gs://) as a DuckDB
table expression: the one file reader of the steps that read tables (ingest, batch prediction).

DuckDB streams the files, so a relation over them reads any size in bounded memory. CSV files are
parsed with `mlops.csv_files` options; call `mlops.csv_files.check_csv` on the result to refuse bad rows.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import duckdb

from mlops import storage
from mlops.csv_files import CsvOptions, csv_relation
from mlops.sql import quote_literal

_READERS = {".csv": "read_csv", ".tsv": "read_csv", ".parquet": "read_parquet", ".pq": "read_parquet"}


class TableFileError(Exception):
    """The file(s) cannot be read as a table. The message names the URI."""


def file_relation(connection: duckdb.DuckDBPyConnection, uri: str, csv: CsvOptions | None = None) -> str:
    """A SQL table expression reading the CSV or Parquet file(s) at `uri` (a path, glob or folder)."""
    name = PurePosixPath(uri.rstrip("/").split("://")[-1])
    suffix = "".join(s for s in name.suffixes if s != ".gz")[-8:]
    suffix = next((s for s in _READERS if suffix.endswith(s)), "")
    if not suffix:
        if "*" in uri:
            raise TableFileError(f"{uri}: cannot tell the file format; end the glob with .csv or .parquet")
        if storage.exists(uri) and not storage.list_files(uri, "*"):
            raise TableFileError(f"{uri}: folder has no files")
        matches = storage.list_files(uri, "*.parquet") or storage.list_files(uri, "*.csv")
        if not matches:
            raise TableFileError(f"{uri}: not a .csv or .parquet file, nor a folder of them")
        return file_relation(connection, storage.join(uri, "*" + PurePosixPath(matches[0]).suffix), csv)
    if "*" not in uri and not storage.exists(uri):
        raise TableFileError(f"{uri}: source file not found")
    if not storage.is_local(uri):
        # DuckDB reads remote files through the same fsspec filesystem as the rest of the code,
        # instead of its httpfs extension (which is downloaded at run time).
        connection.register_filesystem(storage.filesystem(uri)[0])
    if _READERS[suffix] == "read_csv":
        return csv_relation(uri, csv or CsvOptions())
    return f"{_READERS[suffix]}({quote_literal(uri)})"
