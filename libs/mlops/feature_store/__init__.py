"""Feature stores: feature rows keyed by entity and timestamp, offline for training, online for serving.

- `LocalFeatureStore(root)`: Parquet files queried with DuckDB offline, SQLite online.
- `VertexFeatureStore(...)`: BigQuery offline, Vertex AI Feature Store (FeatureOnlineStore and
  FeatureView) online, through the official SDKs.

Both implement `FeatureStore`; `open_store(uri)` picks one from a URI.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias
from urllib.parse import parse_qs, urlsplit

from mlops.sql import quote_identifier

if TYPE_CHECKING:  # the data libraries are imported where data is read: a preflight reads none
    from collections.abc import Sequence

    import duckdb
    import pandas as pd
    import pyarrow as pa

    from mlops.features import FeatureSpec

FeatureData: TypeAlias = "pd.DataFrame | pa.Table | str | Path"  # feature rows: in memory, or a Parquet file
_VIEW_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
WRITE_SEQ = "__write_seq"  # hidden column of offline rows: when the row was written (ns)
SPINE_ROW = "__spine_row"  # hidden column of a spine: its row number, to keep the spine's order


class FeatureStoreError(Exception):
    """A feature store call failed on bad input. The message names the view, file or column."""


@dataclass(frozen=True)
class ViewSchema:
    """What a feature view holds: its key columns and feature columns (with their SQL types)."""

    entity_column: str
    timestamp_column: str
    features: dict[str, str]  # name -> SQL type
    entity_type: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ViewSchema:
        return cls(data["entity_column"], data["timestamp_column"], dict(data["features"]), data.get("entity_type", ""))


class FeatureStore(Protocol):
    """Features keyed by entity and timestamp, read back point-in-time correct."""

    def write(self, feature_view: str, data: FeatureData, spec: FeatureSpec) -> int:
        """Append feature rows (entity, timestamp and the spec's features) to the offline store."""
        ...

    def training_frame(self, feature_view: str, spine_path: str, label_columns: Sequence[str], output_path: str) -> int:
        """Write spine rows joined to the latest features at or before each row's timestamp."""
        ...

    def online_read(self, feature_view: str, entity_ids: Sequence[Any]) -> list[dict[str, Any]]:
        """The latest materialized feature values of each entity found, in the order asked."""
        ...

    def materialize(self, feature_view: str) -> int:
        """Copy the latest feature row of every entity from the offline to the online store."""
        ...

    def schema(self, feature_view: str) -> ViewSchema:
        """The view's schema; FeatureStoreError if nothing was written to it yet."""
        ...


def check_view_name(name: str) -> str:
    """View names become folder, table and resource names: letters, digits and `_` only."""
    if not _VIEW_NAME.match(name):
        raise FeatureStoreError(f"feature view name {name!r} must be letters, digits and _ (max 63), not a digit first")
    return name


def existing_view_schema(uri: str, feature_view: str) -> ViewSchema | None:
    """The schema of `feature_view` in the store at `uri`, or None if nothing was written to it yet.

    For checks before a run (a pipeline's preflight): a view's schema is fixed by its first write,
    and a later write with other columns fails, so a config can be compared with it up front.
    Raises FeatureStoreError for a bad URI or view name.
    """
    store = open_store(uri)
    check_view_name(feature_view)  # a bad name is an error, not "no such view"
    try:
        return store.schema(feature_view)
    except FeatureStoreError:
        return None  # what both stores raise for a view nothing was written to


def relation_of(connection: duckdb.DuckDBPyConnection, data: FeatureData) -> duckdb.DuckDBPyRelation:
    """Feature data (DataFrame, Arrow table or Parquet path) as a DuckDB relation, read lazily."""
    import pandas as pd
    import pyarrow as pa

    if isinstance(data, pd.DataFrame):
        return connection.from_df(data)
    if isinstance(data, pa.Table):
        return connection.from_arrow(data)
    if not Path(data).is_file():
        raise FeatureStoreError(f"{data}: feature data file not found")
    return connection.read_parquet(str(data))


def describe(data: FeatureData) -> str:
    """How error messages name feature data: its path, or its type and size."""
    return str(data) if isinstance(data, str | Path) else f"{type(data).__name__} of {len(data)} rows"


def view_schema(relation: duckdb.DuckDBPyRelation, spec: FeatureSpec, where: str) -> ViewSchema:
    """The schema of the feature rows in `relation`; FeatureStoreError naming `where` if columns miss."""
    keys = [spec.entity_column, spec.timestamp_column]
    if missing := [c for c in [*keys, *spec.feature_names] if c not in relation.columns]:
        raise FeatureStoreError(f"{where}: feature column(s) {missing} missing; columns are: {relation.columns}")
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    features = {name: types[name] for name in spec.feature_names}
    return ViewSchema(spec.entity_column, spec.timestamp_column, features, types[spec.entity_column])


def sql_template(name: str) -> str:
    """The SQL template `name` shipped in this package's sql/ folder."""
    return resources.files("mlops.feature_store").joinpath("sql", name).read_text()


def open_store(uri: str) -> FeatureStore:
    """The store at `uri`: a local folder, or `vertex://PROJECT/LOCATION?dataset=D&online_store=S`."""
    if not uri.startswith("vertex://"):
        if "://" in uri:
            raise FeatureStoreError(f"{uri}: feature store URI must be a local folder or vertex://PROJECT/LOCATION?...")
        from mlops.feature_store.local import LocalFeatureStore

        return LocalFeatureStore(uri)
    parts = urlsplit(uri)
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    location = parts.path.strip("/")
    allowed = {"dataset", "online_store", "api_endpoint", "bigquery_endpoint"}
    if unknown := set(query) - allowed:
        raise FeatureStoreError(f"{uri}: unknown parameter(s) {sorted(unknown)}; use {', '.join(sorted(allowed))}")
    if not parts.netloc or not location or "dataset" not in query or "online_store" not in query:
        raise FeatureStoreError(f"{uri}: expected vertex://PROJECT/LOCATION?dataset=DATASET&online_store=STORE")
    from mlops.feature_store.vertex import VertexFeatureStore

    return VertexFeatureStore(
        parts.netloc,
        location,
        query["dataset"],
        query["online_store"],
        api_endpoint=query.get("api_endpoint"),
        bigquery_endpoint=query.get("bigquery_endpoint"),
    )


def with_write_seq(relation: duckdb.DuckDBPyRelation, schema: ViewSchema) -> duckdb.DuckDBPyRelation:
    """The view's columns in order plus the write sequence (ns now): the last write of a row wins."""
    columns = [schema.entity_column, schema.timestamp_column, *schema.features]
    return relation.project(", ".join([*map(quote_identifier, columns), f"{time.time_ns()}::BIGINT AS {WRITE_SEQ}"]))
