"""A batch prediction output as monitoring's serving data, on hand-written outputs with the defects
real ones have: another version's rows, numbers written as text (one not a number), a null."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.monitoring.batch_output import export_batch_output
from mlops.monitoring.buckets import MonitoringError

AT = datetime(2026, 12, 2, 3, tzinfo=UTC)


def output(path: Path, **columns: list) -> str:
    rows = len(next(iter(columns.values())))
    base = {"entity_id": list(range(rows)), "prediction": [0] * rows, "predicted_at": [AT] * rows}
    pq.write_table(pa.table({**base, **columns}), path)
    return str(path)


def test_the_versions_rows_become_request_log_rows(tmp_path: Path) -> None:
    path = output(
        tmp_path / "out.parquet",
        tenure=["12", "n/a", None, "7.5"],  # a CSV read as text
        plan=["a", "b", "a", "c"],
        model_version=["3", "3", "2", "3"],
    )
    rows = export_batch_output(path, {"tenure": "number", "plan": "category"}, "3", "s" * 64, str(tmp_path / "log"))
    assert rows == 3
    (written,) = (tmp_path / "log").glob("*.parquet")
    table = pq.read_table(written).to_pylist()
    assert [(r["tenure"], r["plan"], r["status"], r["latency_ms"]) for r in table] == [
        (12.0, "a", 200, None), (None, "b", 200, None), (7.5, "c", 200, None),
    ]  # fmt: skip
    assert {r["model_sha256"] for r in table} == {"s" * 64} and {r["request_time"] for r in table} == {AT}


def test_an_output_without_the_inputs_names_them_and_the_setting(tmp_path: Path) -> None:
    path = output(tmp_path / "out.parquet", model_version=["3"])
    with pytest.raises(MonitoringError, match=r"no column\(s\) \['tenure'\]: list the model's inputs"):
        export_batch_output(path, {"tenure": "number"}, "3", "s" * 64, str(tmp_path / "log"))
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"tenure": [1.0]}), plain)
    with pytest.raises(MonitoringError, match="it is not a batch prediction output"):
        export_batch_output(str(plain), {"tenure": "number"}, "3", "s" * 64, str(tmp_path / "log"))
