from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.monitoring.baseline import Baseline, compute_baseline, load_baseline, save_baseline, version_baseline
from mlops.monitoring.buckets import MonitoringError
from mlops.registry.local import LocalModelRegistry

NAN = float("nan")


def write(path: Path, columns: dict[str, pa.Array | list]) -> str:
    pq.write_table(pa.table(columns), path)
    return str(path)


@pytest.fixture
def training(tmp_path: Path) -> str:
    """Ten rows with the defects of a real training extract."""
    return write(
        tmp_path / "training.parquet",
        {
            # 1..10 and two missing values: one NaN, one NULL (both count as null).
            "x": pa.array([3.0, 1.0, 2.0, NAN, 5.0, 4.0, 10.0, None, 7.0, 6.0, 9.0, 8.0], pa.float64()),
            "n": pa.array([5] * 12, pa.int64()),  # a constant integer feature
            "city": pa.array(["x", "x", "y", None, "x", "y", "z", "w", "x", "y", "z", "x"]),
            "code": pa.array(["1", "2", "1", "2", "1", "3", "1", None, "2", "1", "2", "3"]),  # text codes
        },
    )


def test_numeric_edges_follow_the_documented_quantile_rule(training: str) -> None:
    baseline = compute_baseline(training, ["x", "n"], [], numeric_bins=4)
    x = baseline.features["x"]
    # n = 10 finite values 1..10; q in (0, .25, .5, .75, 1) -> positions max(1, ceil(q * 10)) =
    # 1, 3, 5, 8, 10: the values 1, 3, 5, 8, 10.
    assert x.edges == [1.0, 3.0, 5.0, 8.0, 10.0]
    assert x.edges == list(np.quantile(np.arange(1.0, 11.0), [0, 0.25, 0.5, 0.75, 1], method="inverted_cdf"))
    # (-inf, 1], (1, 3], (3, 5], (5, 8], (8, 10], (10, +inf), null (the NaN and the NULL).
    assert x.counts == [1, 2, 2, 3, 2, 0, 2]
    assert x.bucket_labels() == [
        "(-inf, 1.0]", "(1.0, 3.0]", "(3.0, 5.0]", "(5.0, 8.0]", "(8.0, 10.0]", "(10.0, +inf)", "(null)"
    ]
    assert baseline.rows == 12


def test_a_constant_feature_has_one_edge_and_open_ends(training: str) -> None:
    n = compute_baseline(training, ["n"], []).features["n"]
    assert n.edges == [5.0]
    assert n.counts == [12, 0, 0]  # (-inf, 5], (5, +inf), null


def test_categories_keep_the_most_frequent_then_other_then_null(training: str) -> None:
    baseline = compute_baseline(training, [], ["city", "code"], top_categories=2)
    city = baseline.features["city"]
    assert city.categories == ["x", "y"]  # x: 5, y: 3; z (2) and w (1) are other
    assert city.counts == [5, 3, 3, 1]
    assert city.bucket_labels() == ["x", "y", "(other)", "(null)"]
    # Most frequent first: "1" (5 rows), "2" (4); "3" (2 rows) goes to other.
    assert baseline.features["code"].categories == ["1", "2"]
    assert baseline.features["code"].counts == [5, 4, 2, 1]


def test_a_float_category_column_is_written_like_the_integers_it_holds(tmp_path: Path) -> None:
    source = write(tmp_path / "t.parquet", {"k": pa.array([1.0, 2.0, 1.0, 2.5, NAN, None], pa.float64())})
    k = compute_baseline(source, [], ["k"]).features["k"]
    # 1.0 is "1", the same category as a text "1"; "2" and "2.5" tie (1 row each): ordered by value.
    assert k.categories == ["1", "2", "2.5"]
    assert k.counts == [2, 1, 1, 0, 2]  # NaN and NULL are null


def test_a_folder_of_parquet_files_is_one_table(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    write(folder / "a.parquet", {"x": pa.array([1.0, 2.0]), "c": pa.array(["a", "b"])})
    write(folder / "b.parquet", {"x": pa.array([3.0]), "c": pa.array(["a"])})
    baseline = compute_baseline(str(folder), ["x"], ["c"], numeric_bins=2)
    assert baseline.rows == 3
    assert baseline.features["x"].edges == [1.0, 2.0, 3.0]
    assert baseline.features["c"].counts == [2, 1, 0, 0]


def test_a_parquet_file_without_a_suffix_is_read_as_parquet(training: str, tmp_path: Path) -> None:
    # KFP names an artifact's file after the output (ingest's `.../train_data`): no .parquet suffix.
    artifact = tmp_path / "train_data"
    artifact.write_bytes(Path(training).read_bytes())
    from_artifact = compute_baseline(str(artifact), ["x"], ["city"])
    assert from_artifact.features == compute_baseline(training, ["x"], ["city"]).features
    garbage = tmp_path / "test_data"
    garbage.write_text("not parquet")
    with pytest.raises(MonitoringError, match=rf"{garbage}: cannot read"):
        compute_baseline(str(garbage), ["x"], [])


def test_a_missing_column_names_the_file_and_the_feature(training: str) -> None:
    with pytest.raises(MonitoringError, match=rf"{training}: no column for feature 'age'; the columns are"):
        compute_baseline(training, ["x", "age"], [])


def test_a_text_column_declared_numeric_is_refused(training: str) -> None:
    with pytest.raises(MonitoringError, match=rf"{training}: numeric feature 'city' is a VARCHAR column, not numbers"):
        compute_baseline(training, ["city"], [])


def test_bad_arguments_are_refused(training: str, tmp_path: Path) -> None:
    with pytest.raises(MonitoringError, match=r"\['x'\] listed as both numeric and categorical"):
        compute_baseline(training, ["x"], ["x"])
    with pytest.raises(MonitoringError, match="numeric_bins must be >= 2"):
        compute_baseline(training, ["x"], [], numeric_bins=1)
    empty = write(tmp_path / "empty.parquet", {"x": pa.array([], pa.float64())})
    with pytest.raises(MonitoringError, match=rf"{empty}: the training table has no rows"):
        compute_baseline(empty, ["x"], [])
    with pytest.raises(MonitoringError, match="nowhere.parquet"):
        compute_baseline(str(tmp_path / "nowhere.parquet"), ["x"], [])


def test_save_and_load_round_trip_atomically(training: str, tmp_path: Path) -> None:
    baseline = compute_baseline(training, ["x", "n"], ["city"])
    folder = tmp_path / "model"
    folder.mkdir()
    uri = save_baseline(baseline, str(folder))
    assert uri == str(folder / "baseline.json")
    assert sorted(path.name for path in folder.iterdir()) == ["baseline.json"]  # no temp file left behind
    assert load_baseline(str(folder)) == baseline
    assert load_baseline(uri) == baseline


def test_a_corrupt_or_edited_baseline_names_the_file(training: str, tmp_path: Path) -> None:
    uri = save_baseline(compute_baseline(training, ["x"], ["city"]), str(tmp_path))
    document = json.loads(Path(uri).read_text())
    Path(uri).write_text(Path(uri).read_text()[:-40])
    with pytest.raises(MonitoringError, match=rf"{uri}: not valid JSON"):
        load_baseline(str(tmp_path))
    document["features"]["x"]["counts"][0] += 1  # no longer adds up to the rows
    Path(uri).write_text(json.dumps(document))
    with pytest.raises(MonitoringError, match=rf"{uri}: not a baseline: .*\['x'\] do not add up to rows \(12\)"):
        load_baseline(uri)
    document["features"]["x"]["edges"] = [3.0, 1.0]
    Path(uri).write_text(json.dumps(document))
    with pytest.raises(MonitoringError, match=rf"{uri}: not a baseline: .*strictly increasing"):
        load_baseline(uri)
    with pytest.raises(MonitoringError, match=rf"{tmp_path / 'elsewhere'}/baseline.json: no baseline"):
        load_baseline(str(tmp_path / "elsewhere"))


def test_a_baseline_is_plain_json_with_its_format_version(training: str) -> None:
    document = compute_baseline(training, ["x"], ["city"]).model_dump(mode="json")
    assert document["format_version"] == 1
    assert Baseline.model_validate(json.loads(json.dumps(document))).features["city"].categories == ["x", "y", "z", "w"]


def test_a_registered_version_gives_its_baseline_or_says_it_has_none(training: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "bundle.json").write_text("{}")  # the registry copies files; it does not read the bundle
    registry = LocalModelRegistry(tmp_path / "registry")
    old = registry.register("churn", str(bundle), metrics={"auc": 0.7})
    baseline = compute_baseline(training, ["x"], ["city"])
    save_baseline(baseline, str(bundle))
    new = registry.register("churn", str(bundle), metrics={"auc": 0.8})
    assert version_baseline(registry.get_version("churn", new.version)) == baseline
    with pytest.raises(MonitoringError, match=r"model 'churn' version 1 has no baseline .*retrain to get one"):
        version_baseline(old)
