"""Split files shaped like ingest's output: the sample churn table, split by entity id.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from mlops.sample_data import SampleSpec, generate

_SPEC: dict[str, Any] = {
    "entity_column": "entity_id",
    "timestamp_column": "event_timestamp",
    "transforms": [
        {"op": "log1p", "name": "log_tenure", "column": "tenure_months"},
        {"op": "ratio", "name": "charges_per_call", "numerator": "monthly_charges", "denominator": "support_calls"},
        {"op": "bucketize", "name": "tenure_bucket", "column": "tenure_months", "boundaries": [6, 12, 24, 48]},
        {"op": "clip", "name": "calls_capped", "column": "support_calls", "upper": 5},
        {"op": "passthrough", "name": "contract_type", "column": "contract_type"},
        {"op": "day_of_week", "name": "weekday", "column": "event_timestamp"},
    ],
}


@pytest.fixture
def churn_spec() -> dict[str, Any]:
    """A feature spec over the sample churn columns, as it would be read from YAML."""
    return {**_SPEC, "transforms": list(_SPEC["transforms"])}


@pytest.fixture
def splits(tmp_path: Path) -> dict[str, str]:
    """train/valid/test Parquet files of 600 churn rows (entity id mod 10: 0-7 train, 8 valid, 9 test)."""
    table = generate(SampleSpec(rows=600, seed=3))
    bucket = pc.remainder(table.column("entity_id"), 10)
    masks = {"train": pc.less(bucket, 8), "valid": pc.equal(bucket, 8), "test": pc.equal(bucket, 9)}
    paths = {}
    for split, mask in masks.items():
        paths[split] = str(tmp_path / "in" / f"{split}.parquet")
        Path(paths[split]).parent.mkdir(exist_ok=True)
        pq.write_table(table.filter(mask), paths[split])
    return paths
