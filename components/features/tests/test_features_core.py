from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from features.core import FeaturesError, build_features
from mlops.feature_store.local import LocalFeatureStore
from mlops.features import apply_transforms, load_spec

pytest_plugins = ["features_fixtures"]  # fixtures: see features_fixtures.py


def outputs_in(folder: Path) -> dict[str, str]:
    return {split: str(folder / f"{split}.parquet") for split in ("train", "valid", "test")}


def test_every_split_gets_its_features_and_label(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path
) -> None:
    spec, names = churn_spec, load_spec(churn_spec).feature_names
    store = LocalFeatureStore(tmp_path / "store")
    result = build_features(splits, spec, store, "churn", ["churned"], outputs_in(tmp_path / "out"))
    assert result.feature_names == names
    assert result.feature_rows == 600 and result.online_rows == 600
    assert sum(result.rows.values()) == 600 and result.rows["valid"] == pq.read_metadata(splits["valid"]).num_rows
    for split, path in outputs_in(tmp_path / "out").items():
        out = pd.read_parquet(path)
        assert list(out.columns) == ["entity_id", "event_timestamp", *names, "churned"]
        source = pd.read_parquet(splits[split])
        expected = apply_transforms(source, load_spec(spec)).assign(churned=source["churned"])
        # One row per entity: each training row gets exactly its own row's features, in order.
        pd.testing.assert_frame_equal(out, expected, check_dtype=False)
    entity = int(pd.read_parquet(splits["test"])["entity_id"].iloc[0])
    (online,) = store.online_read("churn", [entity])
    assert set(online) == {"entity_id", "event_timestamp", *names}


def test_a_later_value_of_an_entity_never_leaks_into_an_earlier_row(tmp_path: Path) -> None:
    def split(path: Path, ts: list[str], tenure: list[float], label: list[int]) -> str:
        times = pa.array(pd.to_datetime(ts).values, pa.timestamp("us"))
        table = {"entity_id": [7] * len(ts), "event_timestamp": times, "tenure_months": tenure, "churned": label}
        pq.write_table(pa.table(table), path)
        return str(path)

    spec = {
        "entity_column": "entity_id",
        "timestamp_column": "event_timestamp",
        "transforms": [{"op": "passthrough", "name": "tenure", "column": "tenure_months"}],
    }
    splits = {
        "train": split(tmp_path / "train.parquet", ["2025-01-10", "2025-03-01"], [1.0, 3.0], [0, 0]),
        "test": split(tmp_path / "test.parquet", ["2025-02-01"], [2.0], [1]),
    }
    store = LocalFeatureStore(tmp_path / "store")
    outputs = {"train": str(tmp_path / "o" / "train.parquet"), "test": str(tmp_path / "o" / "test.parquet")}
    build_features(splits, spec, store, "leak", ["churned"], outputs)
    assert pq.read_table(outputs["train"]).column("tenure").to_pylist() == [1.0, 3.0]
    assert pq.read_table(outputs["test"]).column("tenure").to_pylist() == [2.0]  # not March's 3.0
    assert store.online_read("leak", [7])[0]["tenure"] == 3.0


def test_running_twice_gives_the_same_training_sets(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path
) -> None:
    spec = churn_spec
    store = LocalFeatureStore(tmp_path / "store")
    build_features(splits, spec, store, "churn", ["churned"], outputs_in(tmp_path / "a"))
    build_features(splits, spec, store, "churn", ["churned"], outputs_in(tmp_path / "b"))
    for split in ("train", "valid", "test"):
        assert pq.read_table(tmp_path / "a" / f"{split}.parquet").equals(
            pq.read_table(tmp_path / "b" / f"{split}.parquet")
        )


@pytest.mark.parametrize(
    ("change", "label", "message"),
    [
        (
            {"transforms": [{"op": "log1p", "name": "x", "column": "tenure"}]},
            "churned",
            r"train\.parquet: transform 'x' \(log1p\) needs column 'tenure'",
        ),
        ({"timestamp_column": "when"}, "churned", r"train\.parquet: timestamp_column 'when' is not a column"),
        ({}, "target", r"train\.parquet: label column 'target' is not a column"),
        ({}, "contract_type", r"label column\(s\) \['contract_type'\] are also feature names"),
        ({"transforms": [{"op": "cube", "name": "x", "column": "tenure_months"}]}, "churned", "Input tag 'cube'"),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path, change: dict, label: str, message: str
) -> None:
    outputs = outputs_in(tmp_path / "out")
    with pytest.raises(FeaturesError, match=message):
        build_features(
            splits, {**churn_spec, **change}, LocalFeatureStore(tmp_path / "store"), "churn", [label], outputs
        )
    assert not any(Path(p).exists() for p in outputs.values())
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_missing_split_files_and_unknown_outputs_are_named(
    splits: dict[str, str], churn_spec: dict[str, Any], tmp_path: Path
) -> None:
    spec = churn_spec
    store = LocalFeatureStore(tmp_path / "store")
    with pytest.raises(FeaturesError, match=r"nope\.parquet: valid split file not found"):
        build_features({**splits, "valid": str(tmp_path / "nope.parquet")}, spec, store, "churn", ["churned"], {})
    with pytest.raises(FeaturesError, match=r"output split\(s\) \['holdout'\] have no input split"):
        build_features(splits, spec, store, "churn", ["churned"], {"holdout": str(tmp_path / "h.parquet")})
