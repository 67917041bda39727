"""A CSV as `DataFrame.to_csv()` writes it, with no id and no timestamp, from nothing to a model.

The table is written here by hand: an unnamed first column holding the row index, duplicate rows,
a missing value. The config names neither an entity nor a timestamp column (ingest derives them,
mlops.row_keys) and drops the index column. It is the config of docs/bring-your-own-table.md.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb

from mlops.pipeline_config import load_pipeline_config
from mlops.registry import open_registry
from mlops.row_keys import ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN
from mlops_cli.commands import run_pipeline
from run_fixtures import local_settings  # pants: no-infer-dep
from training.pipeline import DEFINITION

CONFIG = """\
name: houses
data:
  source: {source}
  target: price
  problem_type: regression
  drop_columns: [unnamed_0]   # the row index pandas wrote as an unnamed first column
features:
  numeric: [area_m2, rooms]
  categorical: [material]
  transforms:
    - {{op: passthrough, name: area_m2, column: area_m2}}
    - {{op: passthrough, name: rooms, column: rooms}}
    - {{op: passthrough, name: material, column: material}}
model:
  type: lightgbm
  params: {{n_estimators: 30, min_child_samples: 5}}
champion:
  metric: rmse
registry:
  model_name: house-prices
"""


def write_houses(folder: Path, rows: int = 400) -> Path:
    rng = random.Random(5)
    lines = [",area_m2,rooms,material,price"]
    for i in range(rows):
        area, material = round(rng.uniform(30, 200), 1), rng.choice(["brick", "wood", "stone"])
        rooms = "" if i % 50 == 7 else str(max(1, int(area // 30)))
        price = int(area * 2500 + (40000 if material == "stone" else 0) + rng.gauss(0, 15000))
        lines.append(f"{len(lines) - 1},{area},{rooms},{material},{price}")
        if i % 100 == 3:  # the same house listed twice
            lines.append(f"{len(lines) - 1},{area},{rooms},{material},{price}")
    path = folder / "houses.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_table_without_id_or_timestamp_trains_and_registers(tmp_path: Path) -> None:
    source = write_houses(tmp_path)
    config_path = tmp_path / "houses.yaml"
    config_path.write_text(CONFIG.format(source=source))
    settings = local_settings(tmp_path)

    record = run_pipeline(DEFINITION, load_pipeline_config(config_path), settings, runner="local")

    assert record.status == "SUCCEEDED", record.error
    version = open_registry(settings.resolved_registry_uri()).get("house-prices")
    assert version is not None and version.version == "1"
    ingest = record.task("ingest")
    assert ingest is not None
    train_split = ingest.outputs["train_data"]["uri"]
    names = duckdb.read_parquet(train_split).columns
    assert "unnamed_0" not in names and {ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN} <= set(names)
    rows = sum(ingest.outputs[f"{split}_data"]["metadata"]["rows"] for split in ("train", "valid", "test"))
    assert rows == 404  # the duplicates are kept, each with a key of its own
