"""Schema inference (DuckDB statistics -> rules) and schema files (JSON/YAML, with clear errors)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from validate.errors import SchemaError, ValidateError
from validate.schema import ColumnSpec, InferOptions, TableSchema, infer_schema, load_schema, save_schema

pytest_plugins = ["validate_fixtures"]  # fixtures: see validate_fixtures.py


def write_parquet(path: Path, columns: dict[str, pa.Array | list]) -> str:
    pq.write_table(pa.table(columns), path)
    return str(path)


def test_inferred_schema_describes_the_training_data(clean_splits: dict[str, str]) -> None:
    schema = infer_schema(clean_splits["train"])
    columns = schema.columns
    assert list(columns) == [
        "entity_id", "event_timestamp", "tenure_months", "monthly_charges", "support_calls",
        "contract_type", "payment_method", "region", "churned",
    ]  # fmt: skip
    assert {name: spec.kind for name, spec in columns.items()} == {
        "entity_id": "integer", "event_timestamp": "timestamp", "tenure_months": "float",
        "monthly_charges": "float", "support_calls": "integer", "contract_type": "string",
        "payment_method": "string", "region": "string", "churned": "integer",
    }  # fmt: skip
    assert all(spec.required and spec.max_null_rate == 0.0 for spec in columns.values())
    assert columns["contract_type"].categories == ["monthly", "one_year", "two_year"]
    assert columns["region"].categories == ["east", "north", "south", "west"]
    assert (columns["churned"].min, columns["churned"].max) == (0.0, 1.0)  # a 0/1 label keeps its range
    assert columns["entity_id"].min is None and columns["entity_id"].max is None  # a key: new ids are fine
    assert schema.min_rows == 1
    assert schema.inferred_from is not None and schema.inferred_from.rows == 4000


def test_numeric_ranges_widen_by_the_margin_and_stay_non_negative(tmp_path: Path) -> None:
    path = write_parquet(
        tmp_path / "t.parquet",
        {"price": [10.0, 20.0, 110.0], "delta": [-50.0, 0.0, 50.0], "count": pa.array([0, 5, 20], pa.int32())},
    )
    columns = infer_schema(path, InferOptions(range_margin=0.1)).columns
    assert (columns["price"].min, columns["price"].max) == (0.0, 120.0)  # 10 - 10 clamps at 0: never negative
    assert (columns["delta"].min, columns["delta"].max) == (-60.0, 60.0)
    assert (columns["count"].min, columns["count"].max) == (0.0, 22.0)  # whole numbers, margin rounded up


def test_observed_nulls_allow_twice_the_rate_plus_a_point(tmp_path: Path) -> None:
    values = [None if i % 20 == 0 else float(i) for i in range(1000)]  # 5% nulls
    columns = infer_schema(write_parquet(tmp_path / "t.parquet", {"x": values})).columns
    assert columns["x"].max_null_rate == pytest.approx(0.11)


def test_only_low_cardinality_strings_get_categories(tmp_path: Path) -> None:
    many = [f"value-{i}" for i in range(60)] * 2
    few = ["a", "b", None] * 40
    columns = infer_schema(write_parquet(tmp_path / "t.parquet", {"many": many, "few": few})).columns
    assert columns["many"].categories is None
    assert columns["few"].categories == ["a", "b"]
    assert infer_schema(str(tmp_path / "t.parquet"), InferOptions(max_categories=100)).columns["many"].categories


def test_unsupported_columns_are_left_out_of_an_inferred_schema(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "t.parquet", {"tags": [["a"], ["b"]], "ok": [True, False]})
    assert list(infer_schema(path).columns) == ["ok"]


def test_an_empty_table_has_no_schema_to_infer(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "empty.parquet", {"x": pa.array([], pa.float64())})
    with pytest.raises(SchemaError, match=r"empty\.parquet: cannot infer a schema from an empty table"):
        infer_schema(path)


def test_missing_and_broken_data_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValidateError, match=r"nowhere\.parquet: Parquet file not found"):
        infer_schema(str(tmp_path / "nowhere.parquet"))
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(ValidateError, match=r"broken\.parquet: cannot read Parquet"):
        infer_schema(str(tmp_path / "broken.parquet"))


@pytest.mark.parametrize("name", ["schema.json", "schema.yaml", "schema"])
def test_schemas_round_trip_through_json_and_yaml(clean_splits: dict[str, str], tmp_path: Path, name: str) -> None:
    schema = infer_schema(clean_splits["train"])
    save_schema(schema, str(tmp_path / name))
    assert load_schema(str(tmp_path / name)) == schema
    text = (tmp_path / name).read_text()
    assert text.lstrip().startswith("{") == (name != "schema.yaml")


def test_a_hand_written_yaml_schema_loads(tmp_path: Path) -> None:
    (tmp_path / "schema.yml").write_text(
        "min_rows: 100\n"
        "columns:\n"
        "  monthly_charges: {kind: float, min: 0, max: 500, max_null_rate: 0.01}\n"
        "  contract_type:\n"
        "    kind: string\n"
        "    categories: [monthly, one_year, two_year]\n"
        "  coupon: {kind: string, required: false}\n"
    )
    schema = load_schema(str(tmp_path / "schema.yml"))
    assert schema.min_rows == 100 and schema.inferred_from is None
    assert schema.columns["monthly_charges"] == ColumnSpec(kind="float", min=0, max=500, max_null_rate=0.01)
    assert schema.columns["coupon"].required is False


def test_a_typo_in_a_yaml_schema_names_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text("columns:\n  tenure_months:\n    kind: float\n    max_nul_rate: 0.01\n")
    with pytest.raises(SchemaError) as error:
        load_schema(str(path))
    message = str(error.value)
    assert message.startswith(f"{path}: 1 problem(s) in schema:")
    assert "columns.tenure_months.max_nul_rate: unknown key (check the spelling; allowed: kind, required," in message


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("columns:\n  x: {kind: flaot}\n", "columns.x.kind: Input should be 'integer', 'float', 'boolean', 'string'"),
        ("columns:\n  x: {kind: string, min: 1}\n", "columns.x: min/max apply to integer and float"),
        ("columns:\n  x: {kind: float, min: 5, max: 1}\n", "columns.x: min 5 is larger than max 1"),
        ("columns:\n  x: {kind: float, max_null_rate: 2}\n", "columns.x.max_null_rate: Input should be less than"),
        ("colums:\n  x: {kind: float}\n", "colums: unknown key (check the spelling; allowed: format_version,"),
        ("columns: {}\n", "columns: Dictionary should have at least 1 item"),
        ("columns: [a, b]\n", "columns: Input should be a valid dictionary (got ['a', 'b'])"),
        ("- just a list\n", "expected a mapping with a 'columns' key at the top level, got list"),
        ("columns: {x: [\n", "invalid YAML (line 2, column 1)"),
    ],
)
def test_invalid_schema_files_say_what_is_wrong(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    with pytest.raises(SchemaError) as error:
        load_schema(str(path))
    assert str(error.value).startswith(str(path)) and problem in str(error.value)


def test_invalid_json_and_missing_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "schema.json").write_text('{"columns": {"x": {"kind": "float",}}}')
    with pytest.raises(SchemaError, match=r"schema\.json: invalid JSON \(line 1, column 36\)"):
        load_schema(str(tmp_path / "schema.json"))
    with pytest.raises(SchemaError, match=r"absent\.json: schema file not found"):
        load_schema(str(tmp_path / "absent.json"))


def test_schemas_are_written_atomically_to_any_storage_uri() -> None:
    schema = TableSchema(columns={"x": ColumnSpec(kind="integer", min=0, max=9)})
    save_schema(schema, "memory://schemas/run-1/schema.json")
    assert load_schema("memory://schemas/run-1/schema.json") == schema
