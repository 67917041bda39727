"""Where predictions go: one Parquet file (local path or gs://), written in row groups as chunks come.

The file appears only when the run completes (`mlops.storage.atomic_writer`: a temporary file renamed
into place locally, an upload committed on close on GCS), so a failed run leaves nothing half-written
and readers see either the previous predictions or the new ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import pyarrow as pa
import pyarrow.parquet as pq

from mlops import storage

MODEL_VERSION, PREDICTED_AT = "model_version", "predicted_at"


class OutputError(Exception):
    """The destination cannot take predictions. The message names it."""


def check_destination(uri: str, key_columns: Sequence[str], prediction_columns: Sequence[str]) -> None:
    """Raise OutputError if `uri` is not a Parquet destination, or output column names would clash."""
    if uri.startswith("bq://"):
        raise OutputError(f"{uri}: BigQuery destinations are not supported yet; write Parquet and load it (docs)")
    if not uri.endswith(".parquet"):
        raise OutputError(f"{uri}: the destination must be a .parquet file (local path or gs://)")
    if clash := sorted(set(key_columns) & {*prediction_columns, MODEL_VERSION, PREDICTED_AT}):
        raise OutputError(f"key column(s) {', '.join(clash)} clash with the output's own columns; rename them")


@contextmanager
def prediction_writer(uri: str) -> Iterator[PredictionWriter]:
    """A writer of prediction chunks to `uri`, committed when the block completes, discarded on error."""
    with storage.atomic_writer(uri) as stream:
        writer = PredictionWriter(stream)
        try:
            yield writer
        finally:
            writer.close()


class PredictionWriter:
    """Appends chunks (key columns + predictions) as row groups, each row stamped with version and time."""

    def __init__(self, stream: object) -> None:
        self._stream = stream
        self._writer: pq.ParquetWriter | None = None

    def write(self, keys: pa.RecordBatch | pa.Table, predictions: pa.Table, version: str, at: datetime) -> None:
        rows = predictions.num_rows
        columns = {name: keys.column(name) for name in keys.schema.names}
        columns.update({name: predictions.column(name) for name in predictions.column_names})
        # pa.repeat: one value for every row without a Python object per row.
        columns[MODEL_VERSION] = pa.repeat(pa.scalar(version, pa.string()), rows)
        columns[PREDICTED_AT] = pa.repeat(pa.scalar(at, pa.timestamp("us", tz="UTC")), rows)
        table = pa.table(columns)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._stream, table.schema)
        self._writer.write_table(table.cast(self._writer.schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
