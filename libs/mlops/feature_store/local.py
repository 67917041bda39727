"""The local feature store: Parquet files + DuckDB offline, SQLite online.

Layout under `root`:

    offline/<view>/_view.json            entity, timestamp and feature columns (with types)
    offline/<view>/part-<ns>-<id>.parquet one file per write, each written atomically
    online.db                             SQLite: one table per view, entity primary key, latest values

Every offline query streams through DuckDB (COPY ... TO), so tables of tens of millions of rows
never pass through pandas; materialization streams record batches into one SQLite transaction.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from mlops import storage
from mlops.feature_store import (
    SPINE_ROW,
    WRITE_SEQ,
    FeatureData,
    FeatureStoreError,
    ViewSchema,
    check_view_name,
    describe,
    relation_of,
    sql_template,
    view_schema,
    with_write_seq,
)
from mlops.features import DUCKDB, FeatureSpec, connect
from mlops.sql import quote_literal

_q = DUCKDB.identifier
_BATCH_ROWS = 100_000


class LocalFeatureStore:
    """A feature store in a local folder (see the module docstring for the layout)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def view_dir(self, feature_view: str) -> Path:
        return self.root / "offline" / check_view_name(feature_view)

    @property
    def online_path(self) -> Path:
        return self.root / "online.db"

    def schema(self, feature_view: str) -> ViewSchema:
        """The view's schema; FeatureStoreError if nothing was written to it yet."""
        path = self.view_dir(feature_view) / "_view.json"
        if not path.is_file():
            raise FeatureStoreError(f"feature view {feature_view!r} has no data in {self.root}")
        return ViewSchema.from_json(json.loads(path.read_text()))

    def write(self, feature_view: str, data: FeatureData, spec: FeatureSpec) -> int:
        """Append the feature rows in `data` (frame, Arrow table or Parquet path) as one new file."""
        folder = self.view_dir(feature_view)
        connection = connect()
        try:
            relation = relation_of(connection, data)
            schema = view_schema(relation, spec, describe(data))
            self._check_schema(feature_view, schema)
            selected = with_write_seq(relation, schema)
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"
            temp = folder / f".{target.name}.tmp"
            try:
                selected.to_parquet(str(temp))
                os.replace(temp, target)
            finally:
                temp.unlink(missing_ok=True)
            storage.write_text(str(folder / "_view.json"), json.dumps(schema.to_json(), indent=2))
            (rows,) = connection.execute(f"SELECT count(*) FROM read_parquet('{target}')").fetchone() or (0,)
            return int(rows)
        except duckdb.Error as error:
            raise FeatureStoreError(
                f"{describe(data)}: cannot write view {feature_view!r}: {_first_line(error)}"
            ) from None
        finally:
            connection.close()

    def training_frame(self, feature_view: str, spine_path: str, label_columns: Sequence[str], output_path: str) -> int:
        """Write the spine's rows with point-in-time correct features (DuckDB ASOF JOIN) to Parquet."""
        schema = self.schema(feature_view)
        connection = connect()
        try:
            spine_columns = _parquet_columns(connection, spine_path)
            keys = [schema.entity_column, schema.timestamp_column]
            if missing := [c for c in [*keys, *label_columns] if c not in spine_columns]:
                raise FeatureStoreError(
                    f"{spine_path}: spine column(s) {missing} missing; columns are: {spine_columns}"
                )
            if clash := sorted(set(label_columns) & set(schema.features)):
                raise FeatureStoreError(f"{spine_path}: label column(s) {clash} are also features of {feature_view!r}")
            query = sql_template("pit_duckdb.sql").format(
                feature_files=self._files_literal(feature_view),
                spine_file=quote_literal(spine_path),
                entity=_q(schema.entity_column),
                timestamp=_q(schema.timestamp_column),
                feature_columns=", ".join(f"features.{_q(name)}" for name in schema.features),
                label_columns=", ".join(f"spine.{_q(name)}" for name in label_columns) or "NULL AS _no_label",
                write_seq=_q(WRITE_SEQ),
                spine_row=_q(SPINE_ROW),
            )
            out = Path(output_path)
            out.parent.mkdir(parents=True, exist_ok=True)
            temp = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                connection.execute(f"COPY ({query}) TO {quote_literal(str(temp))} (FORMAT parquet)")
                (rows,) = connection.execute(
                    f"SELECT count(*) FROM read_parquet({quote_literal(str(temp))})"
                ).fetchone() or (0,)
                os.replace(temp, out)
            finally:
                temp.unlink(missing_ok=True)
            return int(rows)
        except duckdb.Error as error:
            raise FeatureStoreError(
                f"{spine_path}: point-in-time join with {feature_view!r} failed: {_first_line(error)}"
            ) from None
        finally:
            connection.close()

    def materialize(self, feature_view: str) -> int:
        """Upsert the latest offline row of every entity into the SQLite online store, in one transaction."""
        schema = self.schema(feature_view)
        query = sql_template("latest_duckdb.sql").format(
            feature_files=self._files_literal(feature_view),
            entity=_q(schema.entity_column),
            timestamp=_q(schema.timestamp_column),
            feature_columns=", ".join(map(_q, schema.features)),
            write_seq=_q(WRITE_SEQ),
        )
        columns = [schema.entity_column, schema.timestamp_column, *schema.features]
        connection = connect()
        self.root.mkdir(parents=True, exist_ok=True)
        online = sqlite3.connect(self.online_path)
        online.execute("PRAGMA journal_mode = WAL")  # readers keep reading the old values meanwhile
        online.execute("PRAGMA cache_size = -262144")  # 256 MiB of pages: big upserts stay fast
        rows = 0
        try:
            with online:  # one transaction: readers see the old or the new values, never a mix
                _prepare_online_table(online, feature_view, schema)
                set_list = ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in columns[1:])
                upsert = (
                    f"INSERT INTO {_q(feature_view)} VALUES ({', '.join('?' * len(columns))}) "
                    f"ON CONFLICT({_q(schema.entity_column)}) DO UPDATE SET {set_list} "
                    f"WHERE excluded.{_q(schema.timestamp_column)} >= {_q(feature_view)}.{_q(schema.timestamp_column)}"
                )
                reader = connection.sql(query).to_arrow_reader(_BATCH_ROWS)
                for batch in reader:
                    online.executemany(upsert, zip(*(column.to_pylist() for column in batch.columns), strict=True))
                    rows += batch.num_rows
        except duckdb.Error as error:
            raise FeatureStoreError(f"materializing {feature_view!r} failed: {_first_line(error)}") from None
        finally:
            online.close()
            connection.close()
        return rows

    def online_read(self, feature_view: str, entity_ids: Sequence[Any]) -> list[dict[str, Any]]:
        """The latest materialized values of each entity found, in the order of `entity_ids`."""
        check_view_name(feature_view)
        if not self.online_path.is_file():
            raise FeatureStoreError(f"feature view {feature_view!r} has not been materialized in {self.root}")
        online = sqlite3.connect(f"file:{self.online_path}?mode=ro", uri=True)
        try:
            meta = online.execute("SELECT schema FROM _views WHERE view = ?", (feature_view,)).fetchone()
            if meta is None:
                raise FeatureStoreError(f"feature view {feature_view!r} has not been materialized in {self.root}")
            schema = ViewSchema.from_json(json.loads(meta[0]))
            found: dict[Any, dict[str, Any]] = {}
            ids = list(entity_ids)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                where = f"{_q(schema.entity_column)} IN ({', '.join('?' * len(chunk))})"
                cursor = online.execute(f"SELECT * FROM {_q(feature_view)} WHERE {where}", chunk)
                names = [d[0] for d in cursor.description]
                for values in cursor:
                    row = dict(zip(names, values, strict=True))
                    row[schema.timestamp_column] = datetime.fromisoformat(row[schema.timestamp_column])
                    found[str(row[schema.entity_column])] = row
        finally:
            online.close()
        return [found[str(i)] for i in ids if str(i) in found]

    def _check_schema(self, feature_view: str, schema: ViewSchema) -> None:
        path = self.view_dir(feature_view) / "_view.json"
        if path.is_file() and (existing := ViewSchema.from_json(json.loads(path.read_text()))) != schema:
            raise FeatureStoreError(
                f"feature view {feature_view!r} holds {existing.to_json()}, but this write has {schema.to_json()}; "
                "write to a new view name when features change"
            )

    def _files_literal(self, feature_view: str) -> str:
        return quote_literal(str(self.view_dir(feature_view) / "part-*.parquet"))


def _prepare_online_table(online: sqlite3.Connection, feature_view: str, schema: ViewSchema) -> None:
    """Create the view's table, or recreate it when the view's schema changed."""
    online.execute("CREATE TABLE IF NOT EXISTS _views (view TEXT PRIMARY KEY, schema TEXT NOT NULL)")
    text = json.dumps(schema.to_json(), sort_keys=True)
    current = online.execute("SELECT schema FROM _views WHERE view = ?", (feature_view,)).fetchone()
    if current is not None and current[0] == text:
        return
    online.execute(f"DROP TABLE IF EXISTS {_q(feature_view)}")
    entity_type = _sqlite_type(schema.entity_type)
    columns = [f"{_q(schema.entity_column)} {entity_type} PRIMARY KEY", f"{_q(schema.timestamp_column)} TEXT NOT NULL"]
    columns += [f"{_q(name)} {_sqlite_type(kind)}" for name, kind in schema.features.items()]
    online.execute(f"CREATE TABLE {_q(feature_view)} ({', '.join(columns)})")
    online.execute("INSERT OR REPLACE INTO _views VALUES (?, ?)", (feature_view, text))


def _sqlite_type(duckdb_type: str) -> str:
    if "INT" in duckdb_type:
        return "INTEGER"
    if duckdb_type in ("DOUBLE", "FLOAT", "REAL") or duckdb_type.startswith("DECIMAL"):
        return "REAL"
    return "" if not duckdb_type else "TEXT"


def _parquet_columns(connection: duckdb.DuckDBPyConnection, path: str) -> list[str]:
    if not Path(path).is_file():
        raise FeatureStoreError(f"{path}: spine file not found")
    return list(connection.read_parquet(path).columns)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]
