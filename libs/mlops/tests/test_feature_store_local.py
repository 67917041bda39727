from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.feature_store import FeatureStoreError, existing_view_schema, open_store
from mlops.feature_store.local import LocalFeatureStore
from mlops.features import load_spec

SPEC = load_spec(
    {
        "entity_column": "customer",
        "timestamp_column": "ts",
        "transforms": [{"op": "passthrough", "name": "balance", "column": "balance"}],
    }
)


def feature_rows(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": [r[0] for r in rows],
            "ts": pd.to_datetime([r[1] for r in rows]),
            "balance": [r[2] for r in rows],
        }
    )


def write_spine(path: Path, rows: list[tuple[int, str, int]]) -> str:
    table = pa.table(
        {
            "customer": [r[0] for r in rows],
            "ts": pa.array(pd.to_datetime([r[1] for r in rows]).values, pa.timestamp("us")),
            "label": [r[2] for r in rows],
            "unused": ["x"] * len(rows),
        }
    )
    pq.write_table(table, path)
    return str(path)


@pytest.fixture
def store(tmp_path: Path) -> LocalFeatureStore:
    store = LocalFeatureStore(tmp_path / "store")
    store.write(
        "accounts",
        feature_rows(
            [(1, "2025-01-01", 10.0), (1, "2025-01-10", 20.0), (1, "2025-01-20", 30.0), (2, "2025-03-01", 5.0)]
        ),
        SPEC,
    )
    return store


def test_training_frame_never_sees_a_later_feature_value(store: LocalFeatureStore, tmp_path: Path) -> None:
    spine = write_spine(
        tmp_path / "spine.parquet",
        [
            (1, "2025-01-15", 1),  # between the 2nd and 3rd values: 20, never the later 30
            (1, "2024-12-31", 0),  # before any value: NULL
            (1, "2025-01-10", 1),  # exactly at a value's timestamp: that value
            (2, "2025-02-01", 0),  # the entity's only value is later: NULL
            (3, "2025-06-01", 1),  # unknown entity: NULL
            (1, "2025-02-01", 0),  # after all values: the latest, 30
        ],
    )
    assert store.training_frame("accounts", spine, ["label"], str(tmp_path / "out" / "train.parquet")) == 6
    out = pq.read_table(tmp_path / "out" / "train.parquet")
    assert out.column_names == ["customer", "ts", "balance", "label"]
    assert out.column("customer").to_pylist() == [1, 1, 1, 2, 3, 1]  # spine order kept
    assert out.column("balance").to_pylist() == [20.0, None, 20.0, None, None, 30.0]
    assert out.column("label").to_pylist() == [1, 0, 1, 0, 1, 0]
    assert out.column("ts").to_pylist()[0] == datetime(2025, 1, 15)


def test_a_rewritten_row_counts_once_and_the_last_write_wins(store: LocalFeatureStore, tmp_path: Path) -> None:
    store.write("accounts", feature_rows([(1, "2025-01-10", 25.0)]), SPEC)
    spine = write_spine(tmp_path / "spine.parquet", [(1, "2025-01-12", 0)])
    assert store.training_frame("accounts", spine, ["label"], str(tmp_path / "t.parquet")) == 1
    assert pq.read_table(tmp_path / "t.parquet").column("balance").to_pylist() == [25.0]


def test_online_store_serves_the_latest_values(store: LocalFeatureStore) -> None:
    assert store.materialize("accounts") == 2
    rows = store.online_read("accounts", [2, 9, 1])
    assert rows == [
        {"customer": 2, "ts": datetime(2025, 3, 1), "balance": 5.0},
        {"customer": 1, "ts": datetime(2025, 1, 20), "balance": 30.0},
    ]
    # A newer value replaces the online one; an older, late-arriving one does not.
    store.write("accounts", feature_rows([(1, "2025-02-01", 40.0), (2, "2025-02-15", 1.0)]), SPEC)
    assert store.materialize("accounts") == 2
    assert [r["balance"] for r in store.online_read("accounts", [1, 2])] == [40.0, 5.0]
    assert store.online_read("accounts", ["1"])[0]["balance"] == 40.0  # ids as text work too


def test_store_layout_is_one_parquet_file_per_write_and_one_sqlite_table_per_view(store: LocalFeatureStore) -> None:
    store.write("accounts", feature_rows([(3, "2025-01-01", 1.0)]), SPEC)
    store.materialize("accounts")
    folder = store.root / "offline" / "accounts"
    parts = sorted(p.name for p in folder.iterdir())
    assert len(parts) == 3 and parts[0] == "_view.json"
    assert all(p.startswith("part-") and p.endswith(".parquet") for p in parts[1:])
    assert pq.read_schema(folder / parts[1]).names == ["customer", "ts", "balance", "__write_seq"]
    with sqlite3.connect(store.root / "online.db") as db:
        assert db.execute("SELECT count(*) FROM accounts").fetchone() == (3,)
        columns = [row[1:3] for row in db.execute("PRAGMA table_info(accounts)")]
    assert columns == [("customer", "INTEGER"), ("ts", "TEXT"), ("balance", "REAL")]


def test_writes_accept_parquet_paths_and_arrow_tables(tmp_path: Path) -> None:
    store = LocalFeatureStore(tmp_path / "s")
    feature_rows([(1, "2025-01-01", 1.0)]).to_parquet(tmp_path / "f.parquet")
    assert store.write("v", str(tmp_path / "f.parquet"), SPEC) == 1
    assert store.write("v", pa.Table.from_pandas(feature_rows([(2, "2025-01-01", 2.0)])), SPEC) == 1
    store.materialize("v")
    assert [r["customer"] for r in store.online_read("v", [1, 2])] == [1, 2]


def test_open_store_picks_the_local_store_for_a_folder(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalFeatureStore)
    with pytest.raises(FeatureStoreError, match="must be a local folder or vertex://"):
        open_store("s3://bucket/store")


def test_bad_input_is_named(store: LocalFeatureStore, tmp_path: Path) -> None:
    with pytest.raises(FeatureStoreError, match=r"feature column\(s\) \['balance'\] missing"):
        store.write("accounts", feature_rows([(1, "2025-01-01", 1.0)]).drop(columns=["balance"]), SPEC)
    other = load_spec(
        {
            "entity_column": "customer",
            "timestamp_column": "ts",
            "transforms": [
                {"op": "log1p", "name": "balance", "column": "balance"},
                {"op": "log1p", "name": "b2", "column": "balance"},
            ],
        }
    )
    with pytest.raises(FeatureStoreError, match="write to a new view name when features change"):
        store.write("accounts", feature_rows([(1, "2025-01-01", 1.0)]).assign(b2=1.0), other)
    with pytest.raises(FeatureStoreError, match="'bad-name' must be letters, digits and _"):
        store.write("bad-name", feature_rows([]), SPEC)
    with pytest.raises(FeatureStoreError, match=r"nope\.parquet: feature data file not found"):
        store.write("accounts", str(tmp_path / "nope.parquet"), SPEC)
    spine = write_spine(tmp_path / "spine.parquet", [(1, "2025-01-15", 1)])
    with pytest.raises(FeatureStoreError, match=r"spine column\(s\) \['churned'\] missing"):
        store.training_frame("accounts", spine, ["churned"], str(tmp_path / "t.parquet"))
    with pytest.raises(FeatureStoreError, match="feature view 'other' has no data"):
        store.training_frame("other", spine, ["label"], str(tmp_path / "t.parquet"))
    with pytest.raises(FeatureStoreError, match="'accounts' has not been materialized"):
        store.online_read("accounts", [1])
    assert not (tmp_path / "t.parquet").exists()


def test_existing_view_schema_reads_a_written_view_and_none_for_a_new_one(tmp_path: Path) -> None:
    uri = str(tmp_path / "store")
    assert existing_view_schema(uri, "balances") is None  # nothing written: no store folder yet
    LocalFeatureStore(uri).write("balances", feature_rows([(1, "2026-01-01", 5.0)]), SPEC)
    schema = existing_view_schema(uri, "balances")
    assert schema is not None and schema.entity_column == "customer" and list(schema.features) == ["balance"]
    assert existing_view_schema(uri, "other") is None
    with pytest.raises(FeatureStoreError, match="feature view name 'bad-name'"):
        existing_view_schema(uri, "bad-name")
