"""VertexFeatureStore through the real google-cloud-bigquery and Vertex AI SDKs, against a local fake API."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.feature_store import FeatureStoreError, open_store
from mlops.feature_store.vertex import VertexFeatureStore
from mlops.features import load_spec
from mlops.testing.fake_feature_store import FakeFeatureStoreApi

SPEC = load_spec(
    {
        "entity_column": "customer",
        "timestamp_column": "ts",
        "transforms": [
            {"op": "passthrough", "name": "balance", "column": "balance"},
            {"op": "passthrough", "name": "plan", "column": "plan"},
        ],
    }
)
FEATURES = pd.DataFrame(
    {
        "customer": [1, 1, 1, 2],
        "ts": pd.to_datetime(["2025-01-01", "2025-01-10", "2025-01-20", "2025-03-01"]),
        "balance": [10.0, 20.0, 30.0, 5.0],
        "plan": ["basic", "basic", "pro", "basic"],
    }
)


@pytest.fixture
def fake() -> Iterator[FakeFeatureStoreApi]:
    with FakeFeatureStoreApi() as api:
        yield api


@pytest.fixture
def store(fake: FakeFeatureStoreApi) -> VertexFeatureStore:
    return VertexFeatureStore(
        "acme-ml", "europe-west2", "features", "online", api_endpoint=fake.endpoint, sync_poll_seconds=0
    )


def spine(path: Path) -> str:
    times = pd.to_datetime(["2025-01-15", "2024-12-31", "2025-02-01", "2025-02-01"]).values
    pq.write_table(pa.table({"customer": [1, 1, 2, 1], "ts": times, "label": [1, 0, 0, 1]}), path)
    return str(path)


def test_write_loads_parquet_into_the_views_bigquery_table(
    store: VertexFeatureStore, fake: FakeFeatureStoreApi
) -> None:
    assert store.write("accounts", FEATURES, SPEC) == 4
    (upload,) = fake.requests_to("POST", "/upload/bigquery/v2/projects/acme-ml/jobs")
    assert upload.query["uploadType"] == ["multipart"]
    config = json.loads(upload.body.split(b"\r\n\r\n", 1)[1].split(b"\r\n", 1)[0])["configuration"]["load"]
    assert config["sourceFormat"] == "PARQUET" and config["writeDisposition"] == "WRITE_APPEND"
    assert config["destinationTable"] == {"projectId": "acme-ml", "datasetId": "features", "tableId": "accounts"}
    description = json.loads(config["destinationTableProperties"]["description"])
    assert description["features"] == {"balance": "DOUBLE", "plan": "VARCHAR"}
    assert fake.requests_to("POST", "/bigquery/v2/projects/acme-ml/datasets")[0].body["location"] == "europe-west2"
    assert [row[:3] for row in fake.table("features", "accounts")][1] == (1, datetime(2025, 1, 10), 20.0)
    sent = pq.read_table(io.BytesIO(upload.body.split(b"\r\n\r\n", 2)[2].rsplit(b"\r\n--", 1)[0]))
    assert sent.column_names == ["customer", "ts", "balance", "plan", "__write_seq"]


def test_training_frame_is_a_point_in_time_join_in_bigquery(
    store: VertexFeatureStore, fake: FakeFeatureStoreApi, tmp_path: Path
) -> None:
    store.write("accounts", FEATURES, SPEC)
    assert (
        store.training_frame("accounts", spine(tmp_path / "spine.parquet"), ["label"], str(tmp_path / "t.parquet")) == 4
    )
    (query,) = fake.requests_to("POST", "/bigquery/v2/projects/acme-ml/jobs")
    sql = query.body["configuration"]["query"]["query"]
    assert "LEFT JOIN `acme-ml.features.accounts` AS features" in sql
    assert "features.`ts` <= spine.`ts`" in sql and "ASOF LEFT JOIN" not in sql
    # The fake ran the BigQuery SQL: 1 @ Jan 15 sees 20 (never the later 30), and so on.
    out = pq.read_table(tmp_path / "t.parquet")
    assert out.column_names == ["customer", "ts", "balance", "plan", "label"]
    assert out.column("balance").to_pylist() == [20.0, None, None, 30.0]
    assert out.column("plan").to_pylist() == ["basic", None, None, "pro"]
    assert out.column("label").to_pylist() == [1, 0, 0, 1]
    spine_table = fake.requests_to("DELETE", "tables/_spine_accounts_")
    assert len(spine_table) == 1  # the uploaded spine is dropped afterwards


def test_materialize_creates_the_online_store_and_view_and_syncs(
    store: VertexFeatureStore, fake: FakeFeatureStoreApi
) -> None:
    store.write("accounts", FEATURES, SPEC)
    assert store.materialize("accounts") == 2
    ddl = fake.requests_to("POST", "/bigquery/v2/projects/acme-ml/jobs")[0].body["configuration"]["query"]["query"]
    assert "CREATE OR REPLACE VIEW `acme-ml.features.accounts_latest`" in ddl
    stores = "/v1/projects/acme-ml/locations/europe-west2/featureOnlineStores"
    (create_store,) = (r for r in fake.requests if r.method == "POST" and r.path == stores)
    assert create_store.query["featureOnlineStoreId"] == ["online"] and "optimized" in create_store.body
    (create_view,) = (r for r in fake.requests if r.method == "POST" and r.path == f"{stores}/online/featureViews")
    assert create_view.query["featureViewId"] == ["accounts"]
    assert create_view.body["bigQuerySource"] == {
        "uri": "bq://acme-ml.features.accounts_latest",
        "entityIdColumns": ["customer"],
    }
    assert fake.requests_to("POST", f"{stores}/online/featureViews/accounts:sync")
    # A second materialize reuses both resources and only syncs again.
    store.materialize("accounts")
    posts = [r.path.removeprefix(stores) for r in fake.requests_to("POST", stores)]
    assert posts == [
        "",
        "/online/featureViews",
        "/online/featureViews/accounts:sync",
        "/online/featureViews/accounts:sync",
    ]


def test_online_read_fetches_the_latest_values(store: VertexFeatureStore, fake: FakeFeatureStoreApi) -> None:
    store.write("accounts", FEATURES, SPEC)
    store.materialize("accounts")
    assert store.online_read("accounts", [2, 7, 1]) == [
        {"customer": 2, "balance": 5.0, "plan": "basic"},
        {"customer": 1, "balance": 30.0, "plan": "pro"},
    ]
    fetch = fake.requests_to("POST", "featureViews/accounts:fetchFeatureValues")
    assert [r.body["dataKey"]["compositeKey"]["parts"] for r in fetch] == [["2"], ["7"], ["1"]]


def test_errors_name_the_view_or_uri(store: VertexFeatureStore, tmp_path: Path) -> None:
    with pytest.raises(FeatureStoreError, match="'Accounts' must be"):
        store.write("Accounts", FEATURES, SPEC)
    with pytest.raises(FeatureStoreError, match=r"feature view 'missing' has no table acme-ml\.features\.missing"):
        store.training_frame("missing", spine(tmp_path / "s.parquet"), ["label"], str(tmp_path / "t.parquet"))
    store.write("accounts", FEATURES, SPEC)
    with pytest.raises(FeatureStoreError, match=r"spine column\(s\) \['churned'\] missing"):
        store.training_frame("accounts", spine(tmp_path / "s.parquet"), ["churned"], str(tmp_path / "t.parquet"))
    assert not (tmp_path / "t.parquet").exists()


def test_open_store_parses_vertex_uris(fake: FakeFeatureStoreApi) -> None:
    store = open_store(f"vertex://acme-ml/us-central1?dataset=fs&online_store=serving&api_endpoint={fake.endpoint}")
    assert isinstance(store, VertexFeatureStore)
    assert (store.project, store.location, store.dataset, store.online_store) == (
        "acme-ml",
        "us-central1",
        "fs",
        "serving",
    )
    with pytest.raises(FeatureStoreError, match="expected vertex://PROJECT/LOCATION"):
        open_store("vertex://acme-ml?dataset=fs")
    with pytest.raises(FeatureStoreError, match=r"unknown parameter\(s\) \['bucket'\]"):
        open_store("vertex://acme-ml/us-central1?dataset=fs&online_store=s&bucket=b")
