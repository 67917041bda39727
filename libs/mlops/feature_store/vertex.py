"""The production feature store: BigQuery offline, Vertex AI Feature Store online.

- Offline: one BigQuery table per view, `PROJECT.DATASET.<view>`, appended to by Parquet load jobs
  (the view's schema is kept as JSON in the table's description). Training frames come from the
  point-in-time join in sql/pit_bigquery.sql, run against a temporary table holding the spine.
- Online: a BigQuery view `<view>_latest` (sql/latest_bigquery.sql) is the source of a Vertex AI
  FeatureView of the same name in the FeatureOnlineStore `online_store` (an Optimized store, created
  if missing); `materialize` syncs it and `online_read` calls fetchFeatureValues.

Everything goes through the official clients (google-cloud-bigquery, vertexai's feature_store).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow.parquet as pq
from google.api_core import exceptions as google_errors  # pants: no-infer-dep (comes with aiplatform)

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
from mlops.feature_store.vertex_online import call, ensure_feature_view, fetch_rows, sync_and_wait
from mlops.features import BIGQUERY, FeatureSpec, connect
from mlops.google_api import credentials_for
from mlops.sql import quote_identifier

_q = BIGQUERY.identifier
_VERTEX_ID = re.compile(r"^[a-z][a-z0-9_]{0,51}$")  # leaves room for the `_latest` suffix


class VertexFeatureStore:
    """Feature store in BigQuery (offline) and Vertex AI Feature Store (online)."""

    def __init__(
        self,
        project: str,
        location: str,
        dataset: str,
        online_store: str,
        *,
        api_endpoint: str | None = None,
        bigquery_endpoint: str | None = None,
        credentials: Any = None,
        sync_timeout_seconds: float = 3600,
        sync_poll_seconds: float = 15,
    ) -> None:
        self.project, self.location, self.dataset, self.online_store = project, location, dataset, online_store
        self.api_endpoint, self.bigquery_endpoint = api_endpoint, bigquery_endpoint or api_endpoint
        self.credentials = credentials_for(credentials, api_endpoint, bigquery_endpoint)
        self.sync_timeout_seconds, self.sync_poll_seconds = sync_timeout_seconds, sync_poll_seconds
        self._bq: Any = None

    def table_id(self, name: str) -> str:
        return f"{self.project}.{self.dataset}.{name}"

    def write(self, feature_view: str, data: FeatureData, spec: FeatureSpec) -> int:
        """Append the feature rows to the view's BigQuery table with a Parquet load job."""
        view = self._check_name(feature_view)
        connection = connect()
        try:
            relation = relation_of(connection, data)
            schema = view_schema(relation, spec, describe(data))
            existing = self._schema_or_none(view)
            if existing is not None and existing != schema:
                raise FeatureStoreError(
                    f"feature view {view!r} holds {existing.to_json()}, but this write has {schema.to_json()}"
                )
            with tempfile.TemporaryDirectory(prefix="features-") as folder:
                path = os.path.join(folder, "rows.parquet")
                with_write_seq(relation, schema).to_parquet(path)
                bq = self._bigquery()
                bq.create_dataset(self.dataset, exists_ok=True)
                return self._load(path, view, "WRITE_APPEND", json.dumps(schema.to_json()))
        except duckdb.Error as error:
            raise FeatureStoreError(f"{describe(data)}: cannot read feature rows: {_first_line(error)}") from None
        finally:
            connection.close()

    def schema(self, feature_view: str) -> ViewSchema:
        """The view's schema, from its table's description; FeatureStoreError if there is no table."""
        schema = self._schema_or_none(self._check_name(feature_view))
        if schema is None:
            raise FeatureStoreError(f"feature view {feature_view!r} has no table {self.table_id(feature_view)}")
        return schema

    def training_frame(self, feature_view: str, spine_path: str, label_columns: Sequence[str], output_path: str) -> int:
        """Upload the spine, run the point-in-time join in BigQuery and write the result as Parquet."""
        schema = self.schema(feature_view)
        keys = [schema.entity_column, schema.timestamp_column]
        spine_table = f"_spine_{feature_view}_{uuid.uuid4().hex[:12]}"
        connection = connect()
        try:
            with tempfile.TemporaryDirectory(prefix="features-") as folder:
                spine = connection.read_parquet(spine_path)
                if missing := [c for c in [*keys, *label_columns] if c not in spine.columns]:
                    raise FeatureStoreError(f"{spine_path}: spine column(s) {missing} missing")
                path = os.path.join(folder, "spine.parquet")
                columns = ", ".join(map(quote_identifier, [*keys, *label_columns]))  # DuckDB names, escaped
                spine.project(f"{columns}, row_number() OVER () AS {SPINE_ROW}").to_parquet(path)
                self._load(path, spine_table, "WRITE_TRUNCATE", f"spine of a training frame of {feature_view}")
            query = sql_template("pit_bigquery.sql").format(
                spine_table=_q(self.table_id(spine_table)),
                feature_table=_q(self.table_id(feature_view)),
                entity=_q(schema.entity_column),
                timestamp=_q(schema.timestamp_column),
                feature_columns=", ".join(f"features.{_q(name)}" for name in schema.features),
                label_columns=", ".join(f"spine.{_q(name)}" for name in label_columns) or "NULL AS _no_label",
                write_seq=_q(WRITE_SEQ),
                spine_row=_q(SPINE_ROW),
            )
            table = call(
                "point-in-time join",
                lambda: self._bigquery().query(query).result().to_arrow(create_bqstorage_client=False),
            )
            with storage.atomic_writer(output_path) as stream:
                pq.write_table(table, stream)
            return int(table.num_rows)
        except duckdb.Error as error:
            raise FeatureStoreError(f"{spine_path}: cannot read spine: {_first_line(error)}") from None
        finally:
            connection.close()
            call("drop spine", lambda: self._bigquery().delete_table(self.table_id(spine_table), not_found_ok=True))

    def materialize(self, feature_view: str) -> int:
        """Refresh the `<view>_latest` BigQuery view, then sync the Vertex AI FeatureView from it."""
        schema = self.schema(feature_view)
        ddl = sql_template("latest_bigquery.sql").format(
            latest_view=_q(self.table_id(f"{feature_view}_latest")),
            feature_table=_q(self.table_id(feature_view)),
            entity=_q(schema.entity_column),
            timestamp=_q(schema.timestamp_column),
            feature_columns=", ".join(map(_q, schema.features)),
            write_seq=_q(WRITE_SEQ),
        )
        call("create latest view", lambda: self._bigquery().query(ddl).result())
        self._init_vertex()
        uri = f"bq://{self.table_id(feature_view + '_latest')}"
        view = ensure_feature_view(self.online_store, feature_view, uri, schema.entity_column)
        return sync_and_wait(view, self.sync_timeout_seconds, self.sync_poll_seconds)

    def online_read(self, feature_view: str, entity_ids: Sequence[Any]) -> list[dict[str, Any]]:
        """fetchFeatureValues for each entity; entities the FeatureView does not hold are left out."""
        schema = self.schema(feature_view)
        self._init_vertex()
        return fetch_rows(self.online_store, feature_view, schema.entity_column, entity_ids)

    def _bigquery(self) -> Any:
        if self._bq is None:
            from google.cloud import bigquery  # pants: no-infer-dep (comes with aiplatform)

            options = {"api_endpoint": self.bigquery_endpoint} if self.bigquery_endpoint else None
            self._bq = bigquery.Client(self.project, self.credentials, location=self.location, client_options=options)
        return self._bq

    def _init_vertex(self) -> None:
        from google.cloud import aiplatform

        aiplatform.init(
            project=self.project,
            location=self.location,
            credentials=self.credentials,
            api_endpoint=self.api_endpoint,
            api_transport="rest",
        )

    def _load(self, path: str, table: str, disposition: str, description: str) -> int:
        from google.cloud import bigquery  # pants: no-infer-dep (comes with aiplatform)

        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            write_disposition=disposition,
            destination_table_description=description,
        )
        with open(path, "rb") as stream:
            job = call(
                f"load {table}",
                lambda: self._bigquery().load_table_from_file(
                    stream, self.table_id(table), size=os.path.getsize(path), job_config=config
                ),
            )
            call(f"load {table}", job.result)
        return int(job.output_rows or 0)

    def _schema_or_none(self, feature_view: str) -> ViewSchema | None:
        try:
            table = self._bigquery().get_table(self.table_id(feature_view))
        except google_errors.NotFound:
            return None
        try:
            return ViewSchema.from_json(json.loads(table.description or ""))
        except (ValueError, KeyError, TypeError):
            raise FeatureStoreError(
                f"{table.full_table_id}: not a feature view table (no schema in its description)"
            ) from None

    def _check_name(self, feature_view: str) -> str:
        if not _VERTEX_ID.match(check_view_name(feature_view)):
            raise FeatureStoreError(f"Vertex AI feature view name {feature_view!r} must be [a-z][a-z0-9_]*, max 52")
        return feature_view


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0]
