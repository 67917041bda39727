"""The online half of the Vertex AI feature store: FeatureOnlineStore, FeatureView, sync and reads.

Calls go through `vertexai.resources.preview.feature_store`, configured by `aiplatform.init` (the
caller's project, location, credentials and, for tests and emulators, API endpoint).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from google.api_core import exceptions as google_errors  # pants: no-infer-dep (comes with aiplatform)

from mlops.feature_store import FeatureStoreError

_T = TypeVar("_T")


def call(what: str, function: Callable[[], _T]) -> _T:
    """Run one SDK call; an API error becomes a FeatureStoreError naming `what` failed."""
    try:
        return function()
    except google_errors.GoogleAPICallError as error:
        raise FeatureStoreError(f"{what}: {error.code} {error.message}") from None


def ensure_feature_view(online_store: str, feature_view: str, bigquery_uri: str, entity_column: str) -> Any:
    """The FeatureView `feature_view` of the Optimized store `online_store`, both created if missing."""
    from vertexai.resources.preview import feature_store as vertex_fs

    store = _get_or_create(
        lambda: vertex_fs.FeatureOnlineStore(online_store),
        lambda: vertex_fs.FeatureOnlineStore.create_optimized_store(online_store),
    )
    source = vertex_fs.FeatureViewBigQuerySource(uri=bigquery_uri, entity_id_columns=[entity_column])
    return _get_or_create(
        lambda: vertex_fs.FeatureView(feature_view, feature_online_store_id=online_store),
        lambda: store.create_feature_view(feature_view, source),
    )


def sync_and_wait(view: Any, timeout_seconds: float, poll_seconds: float) -> int:
    """Start a sync of `view` (BigQuery source -> online store) and wait for it; rows synced."""
    sync = call("sync feature view", view.sync)
    sync_id = sync.resource_name.rsplit("/", 1)[-1]
    deadline = time.monotonic() + timeout_seconds
    while True:
        state = call("get feature view sync", lambda: view.get_sync(sync_id))._gca_resource
        if state.run_time.end_time or state.final_status.code or state.final_status.message:
            break
        if time.monotonic() > deadline:
            raise FeatureStoreError(f"sync {sync.resource_name} did not finish in {timeout_seconds}s")
        time.sleep(poll_seconds)
    if state.final_status.code:
        raise FeatureStoreError(f"sync {sync.resource_name} failed: {state.final_status.message}")
    return int(state.sync_summary.row_synced)


def fetch_rows(
    online_store: str, feature_view: str, entity_column: str, entity_ids: Sequence[Any]
) -> list[dict[str, Any]]:
    """fetchFeatureValues per entity: `{entity_column: id, feature: value, ...}`; unknown ids left out."""
    from vertexai.resources.preview import feature_store as vertex_fs

    view = call("get feature view", lambda: vertex_fs.FeatureView(feature_view, feature_online_store_id=online_store))
    rows = []
    for entity_id in entity_ids:
        try:
            values = view.read(key=[str(entity_id)]).to_dict()
        except google_errors.NotFound:
            continue
        except google_errors.GoogleAPICallError as error:
            raise FeatureStoreError(f"fetchFeatureValues of {feature_view!r} failed: {error.message}") from None
        row = {pair["name"]: proto_value(pair.get("value", {})) for pair in values.get("features", [])}
        rows.append({entity_column: entity_id, **row})
    return rows


def proto_value(value: dict[str, Any]) -> Any:
    """A FeatureValue as a Python value: `{"double_value": 1.5}` -> 1.5 (a null value -> None)."""
    for key, item in value.items():
        if key.endswith("_value") and key != "null_value":
            return int(item) if key == "int64_value" else item
    return None


def _get_or_create(get: Callable[[], Any], create: Callable[[], Any]) -> Any:
    try:
        return get()
    except google_errors.NotFound:
        return call("create", create)
