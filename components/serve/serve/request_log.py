"""A sample of requests and their predictions, kept as Parquet files for monitoring.

One row per instance: `request_time` (UTC), `request_id`, `instance_index`, `model_sha256`,
`status` (the HTTP status answered) and `latency_ms` (the request's time in the server), the raw
input columns (numbers as floats; categories and timestamps as text, as sent) and the prediction
(`predicted_label` or `predicted_value`, and the whole prediction as JSON). A sampled request that
failed (4xx, 5xx) is one row with its status and latency and no inputs or prediction
(`instance_index` null), so monitoring reads serving health from the same files. Rows are
buffered and written `batch_rows` at a time, when the oldest buffered row has waited
`flush_seconds` (the server checks every few seconds), and whatever is left when it stops. Each file
is written through mlops.storage, atomically (a temporary file renamed into place locally, a
completed upload on gs://), so a reader never sees part of a file.
"""

from __future__ import annotations

import io
import itertools
import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from mlops import storage
from mlops.request_log_schema import META_COLUMNS, PREDICTION_COLUMNS, log_value, request_log_schema


class RequestLog:
    """Samples requests at `rate` and writes them under `folder` (a local folder or a URI)."""

    def __init__(
        self, folder: str, columns: list[str], kinds: dict[str, str], rate: float, batch_rows: int, model_sha256: str
    ) -> None:
        if clash := sorted(set(columns) & {*META_COLUMNS, *PREDICTION_COLUMNS}):
            raise ValueError(f"input column(s) {clash} have the names of request log columns")
        self.folder, self.columns, self.kinds = folder, columns, kinds
        self.rate, self.batch_rows, self.model_sha256 = rate, batch_rows, model_sha256
        self._rows: list[dict[str, Any]] = []
        self._sequence = itertools.count()
        storage.makedirs(folder)

    def sampled(self) -> bool:
        """Whether to record the current request (a fair coin of weight `rate`)."""
        return self.rate >= 1.0 or (self.rate > 0.0 and random.random() < self.rate)

    def record(
        self, instances: list[Any], predictions: list[dict[str, Any]], latency_ms: float | None = None
    ) -> list[dict[str, Any]] | None:
        """Buffer one answered request's rows; returns a full batch to write (with `write`), or None."""
        now, request_id = datetime.now(UTC), uuid.uuid4().hex
        for index, (instance, prediction) in enumerate(zip(instances, predictions, strict=True)):
            values = instance if isinstance(instance, list) else [instance.get(c) for c in self.columns]
            row: dict[str, Any] = {
                "request_time": now,
                "request_id": request_id,
                "instance_index": index,
                "model_sha256": self.model_sha256,
                "status": 200,
                "latency_ms": latency_ms,
            }
            for column, value in zip(self.columns, values, strict=True):
                row[column] = log_value(value, self.kinds[column])
            label = prediction.get("label")
            row["predicted_label"] = None if label is None else str(label)
            row["predicted_value"] = prediction.get("value")
            row["prediction"] = orjson.dumps(prediction).decode()
            self._rows.append(row)
        return self._full()

    def record_failure(self, status: int, latency_ms: float) -> list[dict[str, Any]] | None:
        """Buffer a failed request (status >= 400) as one row without inputs: serving health."""
        row = {"request_time": datetime.now(UTC), "request_id": uuid.uuid4().hex, "instance_index": None}
        self._rows.append({**row, "model_sha256": self.model_sha256, "status": status, "latency_ms": latency_ms})
        return self._full()

    def _full(self) -> list[dict[str, Any]] | None:
        if len(self._rows) < self.batch_rows:
            return None
        batch, self._rows = self._rows, []
        return batch

    def take(self) -> list[dict[str, Any]]:
        """The rows buffered so far (for the final write at shutdown)."""
        batch, self._rows = self._rows, []
        return batch

    def take_older_than(self, seconds: float) -> list[dict[str, Any]]:
        """The buffered rows if the oldest has waited `seconds` or more, else none (the periodic
        flush: rows of a quiet endpoint reach monitoring without waiting for a full batch)."""
        if not self._rows or (datetime.now(UTC) - self._rows[0]["request_time"]).total_seconds() < seconds:
            return []
        return self.take()

    def write(self, rows: list[dict[str, Any]]) -> str | None:
        """Write `rows` as one new Parquet file; returns its URI (None for no rows)."""
        if not rows:
            return None
        schema = request_log_schema({column: self.kinds[column] for column in self.columns})
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), buffer)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        uri = storage.join(self.folder, f"requests-{stamp}-{os.getpid()}-{next(self._sequence):06d}.parquet")
        storage.write_bytes(uri, buffer.getvalue())
        return uri

