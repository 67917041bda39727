"""The columns of a served model's request log: the one definition the writer (the model server,
components/serve) and the readers (mlops.monitoring.serving_log, tests) share.

One row per answered instance, or one per failed request: the request's own columns, then the
model's raw inputs (numbers as DOUBLE, anything else as text, as sent), then the prediction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa

REQUEST_FIELDS = (
    pa.field("request_time", pa.timestamp("us", tz="UTC")),
    pa.field("request_id", pa.string()),
    pa.field("instance_index", pa.int32()),  # null: a failed request's one row
    pa.field("model_sha256", pa.string()),
    pa.field("status", pa.int16()),  # the HTTP status answered
    pa.field("latency_ms", pa.float64()),  # the request's time in the server
)
PREDICTION_FIELDS = (
    pa.field("predicted_label", pa.string()),
    pa.field("predicted_value", pa.float64()),
    pa.field("prediction", pa.string()),  # the whole prediction, as JSON
)
META_COLUMNS = tuple(field.name for field in REQUEST_FIELDS)
PREDICTION_COLUMNS = tuple(field.name for field in PREDICTION_FIELDS)


def request_log_schema(input_kinds: Mapping[str, str]) -> pa.Schema:
    """The log's schema for a model whose raw inputs are `input_kinds` (column -> "number" or any
    other kind, stored as text), in the model's column order."""
    inputs = [
        pa.field(column, pa.float64() if kind == "number" else pa.string()) for column, kind in input_kinds.items()
    ]
    return pa.schema([*REQUEST_FIELDS, *inputs, *PREDICTION_FIELDS])


def log_value(value: Any, kind: str) -> Any:
    """An input value as the log stores it: a number as a float, anything else as text, null as null."""
    if value is None:
        return None
    if kind == "number":
        return float(value)
    return str(value)
