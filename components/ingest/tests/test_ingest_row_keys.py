"""Tables without an entity id or a timestamp, and the unnamed first column of R/pandas exports.

Every file is written by hand the way such exports look: a header starting with an empty field
over a 0..n-1 row index, no id, no event time, and duplicate rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingest.api import SourceError, preview_columns
from ingest.core import IngestError, SplitSpec, ingest_to_parquet
from mlops.row_keys import ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN

ROWS = [
    "72.5,3,brick,310000",
    "55.0,2,wood,215000",
    "55.0,2,wood,215000",  # an exact duplicate of the row above: distinct rows all the same
    "120.0,5,brick,520000",
    "88.1,,stone,365000",
    "40.2,1,wood,149000",
]


def pandas_export(folder: Path, rows: list[str], name: str = "houses.csv") -> str:
    """What `DataFrame.to_csv()` writes: the index as an unnamed first column."""
    path = folder / name
    lines = [",area_m2,rooms,material,price", *(f"{i},{row}" for i, row in enumerate(rows))]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def ingest_all(source: str, folder: Path, **options: object) -> pa.Table:
    outputs = {split: str(folder / f"{split}.parquet") for split in ("train", "valid", "test")}
    spec = SplitSpec(train_fraction=0.5, valid_fraction=0.25, test_fraction=0.25)
    ingest_to_parquet(source, outputs, spec, **options)  # type: ignore[arg-type]
    return pa.concat_tables([pq.read_table(path) for path in outputs.values()])


def test_the_unnamed_index_column_is_named_like_pandas_names_it(tmp_path: Path) -> None:
    source = pandas_export(tmp_path, ROWS)
    preview = preview_columns(source)
    assert list(preview.columns) == ["unnamed_0", "area_m2", "rooms", "material", "price"]
    table = ingest_all(source, tmp_path / "out")
    assert sorted(table.column("unnamed_0").to_pylist()) == list(range(len(ROWS)))


def test_a_real_column_named_like_duckdbs_generated_names_keeps_its_name(tmp_path: Path) -> None:
    path = tmp_path / "named.csv"
    path.write_text("column0,price\n1,10\n2,20\n")
    assert list(preview_columns(str(path)).columns) == ["column0", "price"]


def test_drop_columns_leaves_the_index_out_and_names_a_column_that_is_not_there(tmp_path: Path) -> None:
    source = pandas_export(tmp_path, ROWS)
    table = ingest_all(source, tmp_path / "out", drop_columns=["unnamed_0"])
    assert "unnamed_0" not in table.column_names and table.num_rows == len(ROWS)
    assert "unnamed_0" not in preview_columns(source, drop_columns=["unnamed_0"]).columns
    message = r"data\.drop_columns lists \['index'\], which are not columns; columns are: unnamed_0, area_m2"
    with pytest.raises(SourceError, match=message):
        preview_columns(source, drop_columns=["index"])


def test_without_keys_each_row_gets_a_content_key_and_all_rows_one_snapshot_time(tmp_path: Path) -> None:
    source = pandas_export(tmp_path, ROWS)
    before = datetime.now(UTC).replace(tzinfo=None)
    table = ingest_all(source, tmp_path / "out", drop_columns=["unnamed_0"], derive_keys=True)
    after = datetime.now(UTC).replace(tzinfo=None)
    keys = table.column(ROW_KEY_COLUMN).to_pylist()
    assert len(set(keys)) == len(ROWS)  # the duplicate rows get keys of their own
    areas = table.column("area_m2").to_pylist()
    duplicates = sorted(key for key, area in zip(keys, areas, strict=True) if area == 55.0)
    assert duplicates[0].split("-")[0] == duplicates[1].split("-")[0]
    assert {key[-2:] for key in duplicates} == {"-1", "-2"}
    times = set(table.column(SNAPSHOT_TIME_COLUMN).to_pylist())
    assert len(times) == 1 and before <= times.pop() <= after
    assert pa.types.is_timestamp(table.schema.field(SNAPSHOT_TIME_COLUMN).type)


def test_row_keys_depend_on_content_not_on_position(tmp_path: Path) -> None:
    options = {"drop_columns": ["unnamed_0"], "derive_keys": True}
    first = ingest_all(pandas_export(tmp_path, ROWS, "a.csv"), tmp_path / "a", **options)
    reordered = [ROWS[3], *ROWS[:3], ROWS[5], ROWS[4], "99.9,4,brick,401000"]  # another order, one row added
    second = ingest_all(pandas_export(tmp_path, reordered, "b.csv"), tmp_path / "b", **options)

    def by_key(table: pa.Table) -> dict[str, tuple]:
        rows = table.select(["area_m2", "rooms", "material", "price"]).to_pylist()
        keys = table.column(ROW_KEY_COLUMN).to_pylist()
        return {key: tuple(row.values()) for key, row in zip(keys, rows, strict=True)}

    old, new = by_key(first), by_key(second)
    assert set(old) < set(new) and all(new[key] == row for key, row in old.items())


def test_configured_keys_are_used_and_nothing_is_derived(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("id,at,x\n" + "".join(f"u{i},2026-01-{1 + i:02d} 10:00:00,{i}\n" for i in range(8)))
    outputs = {split: str(tmp_path / f"{split}.parquet") for split in ("train", "valid", "test")}
    spec = SplitSpec("time", 0.5, 0.25, 0.25, key_column="id", time_column="at")
    ingest_to_parquet(str(path), outputs, spec, derive_keys=True)
    assert pq.read_schema(outputs["train"]).names == ["id", "at", "x"]


def test_a_column_with_a_derived_name_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "keyed.csv"
    path.write_text(f"{ROW_KEY_COLUMN},x\na,1\nb,2\n")
    outputs = {"train": str(tmp_path / "train.parquet")}
    with pytest.raises(IngestError, match=rf"has a column named '{ROW_KEY_COLUMN}'.*name it as the key_column"):
        spec = SplitSpec(train_fraction=1.0, valid_fraction=0, test_fraction=0)
        ingest_to_parquet(str(path), outputs, spec, derive_keys=True)
    assert not Path(outputs["train"]).exists()
