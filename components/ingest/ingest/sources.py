"""Where ingest reads from: files through DuckDB locally (CSV or Parquet, local or any fsspec URI)."""

from __future__ import annotations

from pathlib import PurePosixPath

import duckdb

from mlops import storage

_READERS = {".csv": "read_csv_auto", ".tsv": "read_csv_auto", ".parquet": "read_parquet", ".pq": "read_parquet"}


class SourceError(Exception):
    """The source cannot be read. The message names the source."""


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def file_relation(connection: duckdb.DuckDBPyConnection, uri: str) -> str:
    """A SQL table expression reading the CSV or Parquet file(s) at `uri` (a path, glob or folder)."""
    name = PurePosixPath(uri.rstrip("/").split("://")[-1])
    suffix = "".join(s for s in name.suffixes if s != ".gz")[-8:]
    suffix = next((s for s in _READERS if suffix.endswith(s)), "")
    if not suffix:
        if "*" in uri:
            raise SourceError(f"{uri}: cannot tell the file format; end the glob with .csv or .parquet")
        if storage.exists(uri) and not storage.list_files(uri, "*"):
            raise SourceError(f"{uri}: folder has no files")
        matches = storage.list_files(uri, "*.parquet") or storage.list_files(uri, "*.csv")
        if not matches:
            raise SourceError(f"{uri}: not a .csv or .parquet file, nor a folder of them")
        return file_relation(connection, storage.join(uri, "*" + PurePosixPath(matches[0]).suffix))
    if "*" not in uri and not storage.exists(uri):
        raise SourceError(f"{uri}: source file not found")
    if not storage.is_local(uri):
        # DuckDB reads remote files through the same fsspec filesystem as the rest of the code,
        # instead of its httpfs extension (which is downloaded at run time).
        connection.register_filesystem(storage.filesystem(uri)[0])
    return f"{_READERS[suffix]}({quote_literal(uri)})"
