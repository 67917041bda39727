from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.features import FeatureError, FeatureSpec, apply_transforms, connect, load_spec, render_query

TRANSFORMS: list[dict[str, Any]] = [
    {"op": "passthrough", "name": "plan", "column": "plan"},
    {"op": "log1p", "name": "log_amount", "column": "amount"},
    {"op": "ratio", "name": "amount_per_call", "numerator": "amount", "denominator": "calls"},
    {"op": "bucketize", "name": "amount_bucket", "column": "amount", "boundaries": [0, 10, 100]},
    {"op": "clip", "name": "amount_clipped", "column": "amount", "lower": 0, "upper": 50},
    {"op": "hour_of_day", "name": "hour", "column": "ts"},
    {"op": "day_of_week", "name": "weekday", "column": "ts"},
    {"op": "month", "name": "month", "column": "ts"},
]


def spec(transforms: list[dict[str, Any]] | None = None) -> FeatureSpec:
    return load_spec({"entity_column": "id", "timestamp_column": "ts", "transforms": transforms or TRANSFORMS})


def rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            # Monday 13:05, Sunday 00:00, Saturday 23:59 (Feb), Wednesday 06:30 (Dec)
            "ts": pd.to_datetime(["2025-01-06 13:05", "2025-01-05 00:00", "2025-02-01 23:59", "2025-12-31 06:30"]),
            "amount": [math.e - 1, 10.0, -3.0, None],
            "calls": [2, 0, 3, 1],
            "plan": ["basic", "pro", None, "basic"],
        }
    )


def as_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values, NULL and NaN both as None, for exact comparisons."""
    return [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in frame.to_dict("records")]


def test_each_op_gives_the_exact_values() -> None:
    out = as_records(apply_transforms(rows(), spec()))
    assert [r["plan"] for r in out] == ["basic", "pro", None, "basic"]
    assert out[0]["log_amount"] == pytest.approx(1.0)
    assert out[1]["log_amount"] == pytest.approx(math.log(11))
    assert out[2]["log_amount"] is None  # log1p of -3 is undefined: NULL, not NaN or an error
    assert out[0]["amount_per_call"] == pytest.approx((math.e - 1) / 2)
    assert out[1]["amount_per_call"] is None  # 10 / 0
    assert out[2]["amount_per_call"] == pytest.approx(-1.0)
    assert out[3]["amount_per_call"] is None  # NULL / 1
    # boundaries [0, 10, 100]: 1.718 -> 1, 10 (on a boundary) -> 2, -3 -> 0, NULL -> NULL
    assert [r["amount_bucket"] for r in out] == [1, 2, 0, None]
    assert [r["amount_clipped"] for r in out] == [pytest.approx(math.e - 1), 10.0, 0.0, None]
    assert [r["hour"] for r in out] == [13, 0, 23, 6]
    assert [r["weekday"] for r in out] == [0, 6, 5, 2]  # Monday = 0 .. Sunday = 6
    assert [r["month"] for r in out] == [1, 1, 2, 12]
    assert list(apply_transforms(rows(), spec()).columns) == ["id", "ts", *spec().feature_names]


def test_duckdb_over_parquet_and_pandas_give_identical_features(tmp_path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(rows()), tmp_path / "rows.parquet")
    connection = connect()
    from_parquet = apply_transforms(connection.read_parquet(str(tmp_path / "rows.parquet")), spec()).df()
    from_pandas = apply_transforms(rows(), spec())
    pd.testing.assert_frame_equal(from_parquet, from_pandas)
    assert from_pandas["amount_bucket"].isna().tolist() == [False, False, False, True]


def test_serving_rows_need_no_entity_or_label_and_may_carry_string_timestamps() -> None:
    request = pd.DataFrame({"ts": ["2025-01-06T13:05:00"], "amount": [9.0], "calls": [3], "plan": ["pro"]})
    (out,) = as_records(apply_transforms(request, spec()))
    assert out["hour"] == 13 and out["weekday"] == 0 and out["amount_bucket"] == 1
    assert "id" not in out and out["amount_per_call"] == pytest.approx(3.0)


def test_bigquery_dialect_quotes_with_backticks_and_uses_bigquery_types() -> None:
    sql = render_query(spec(), "`p.d.rows`", ["id", "ts", "amount", "calls", "plan"], dialect="bigquery")
    assert "SAFE_DIVIDE(CAST(`amount` AS FLOAT64), `calls`) AS `amount_per_call`" in sql
    assert "SAFE.LN(1 + CAST(`amount` AS FLOAT64))" in sql
    assert "MOD(EXTRACT(DAYOFWEEK FROM CAST(`ts` AS TIMESTAMP)) + 5, 7)" in sql
    assert "WHEN `amount` < 10.0 THEN 1" in sql and "AS INT64) AS `amount_bucket`" in sql
    assert '"' not in sql and sql.endswith("FROM `p.d.rows`")


def test_identifiers_are_quoted_not_injected() -> None:
    odd = spec([{"op": "passthrough", "name": "safe", "column": 'we"ird'}])
    duck = render_query(odd, "t", ["id", "ts", 'we"ird'])
    assert '"we""ird" AS "safe"' in duck
    out = apply_transforms(pd.DataFrame({'we"ird': [5]}), odd)
    assert out["safe"].tolist() == [5]


@pytest.mark.parametrize(
    ("transforms", "message"),
    [
        ([{"op": "sqrt", "name": "x", "column": "amount"}], r"transforms\.0: Input tag 'sqrt' found using 'op'"),
        ([{"op": "log1p", "name": "a", "column": "amount"}] * 2, "feature name 'a' is used twice"),
        ([{"op": "log1p", "name": "id", "column": "amount"}], "feature name 'id' is used twice"),
        ([{"op": "log1p", "name": "a b; drop", "column": "amount"}], "'a b; drop' is not SQL-safe"),
        ([{"op": "log1p", "name": "a"}], r"transforms\.0\.log1p\.column: Field required"),
        ([{"op": "bucketize", "name": "b", "column": "x", "boundaries": [5, 1]}], "strictly increasing"),
        ([{"op": "clip", "name": "c", "column": "x"}], "clip needs a finite lower and/or upper bound"),
        ([{"op": "log1p", "name": "a", "column": "x", "base": 2}], r"log1p\.base: Extra inputs are not permitted"),
    ],
)
def test_bad_specs_name_the_problem(transforms: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(FeatureError, match=message) as error:
        load_spec({"entity_column": "id", "timestamp_column": "ts", "transforms": transforms}, "spec.yaml")
    assert str(error.value).startswith("spec.yaml: 1 problem(s):")


def test_missing_input_column_is_named_with_the_transform() -> None:
    with pytest.raises(FeatureError, match=r"transform 'amount_per_call' \(ratio\) needs column 'calls'"):
        apply_transforms(rows().drop(columns=["calls"]), spec())
    with pytest.raises(FeatureError, match=r"^train\.parquet: transform 'log_amount' \(log1p\) needs column 'amount'"):
        spec().check_columns(["id", "ts", "plan"], where="train.parquet")


def test_spec_round_trips_through_json_for_the_model_bundle() -> None:
    original = spec()
    assert load_spec(original.model_dump()) == original
    assert original.feature_names[:3] == ["plan", "log_amount", "amount_per_call"]
