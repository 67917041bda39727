"""Batch prediction: score a table with a registered model, streamed in chunks, written atomically.

`run_batch_predict` resolves the model version (the registry's default, or a named one), loads its
bundle, opens and checks the input (inputs.py: columns and types, before anything is written),
then streams the input in Arrow record batches of `chunk_rows` rows through `chunks.predict_chunk`
into one Parquet file (outputs.py) that appears only when every row has been predicted. Memory
stays that of a few chunks whatever the table's size. Progress (rows done / total, rows/s) is logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from batch_predict.chunks import ChunkError, input_columns, predict_chunk, prediction_columns
from batch_predict.inputs import InputError, open_input, stream
from batch_predict.outputs import OutputError, check_destination, prediction_writer
from mlops.csv_files import CsvOptions
from mlops.features import connect
from mlops.model_bundle import BundleError, ModelBundle, load_bundle
from mlops.registry import RegistryError, open_registry

logger = logging.getLogger(__name__)
DEFAULT_CHUNK_ROWS = 50_000
_PROGRESS_SECONDS = 10.0  # at most one progress line this often (and one at the end)


class BatchPredictError(Exception):
    """Bad input to batch prediction. The message names the model, file, column or value."""


@dataclass(frozen=True)
class BatchPredictResult:
    model_name: str
    model_version: str
    source_uri: str
    destination: str
    rows: int
    seconds: float
    rows_per_second: float


def load_model(registry_uri: str, model_name: str, version: str = "") -> tuple[str, ModelBundle]:
    """The version (the registry's default if `version` is empty) and its loaded bundle."""
    try:
        registry = open_registry(registry_uri)
        found = registry.get_version(model_name, version) if version else registry.get(model_name)
        if found is None:
            raise BatchPredictError(f"registry {registry_uri}: model {model_name!r} has no default version")
        return found.version, load_bundle(found.bundle_uri)
    except (RegistryError, BundleError) as error:
        raise BatchPredictError(f"registry {registry_uri}: model {model_name!r}: {error}") from None


def run_batch_predict(
    source_uri: str,
    registry_uri: str,
    model_name: str,
    destination: str,
    *,
    version: str = "",
    key_columns: Sequence[str] = (),
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    csv: CsvOptions | None = None,
) -> BatchPredictResult:
    """Predict every row of `source_uri` with the model and write the predictions to `destination`.

    The output has the `key_columns` of the input, then `prediction` (and `probability_<class>`
    for classification), `model_version` and `predicted_at` (when the run started, UTC). Raises
    BatchPredictError before writing anything if the model, the input or the destination is bad.
    """
    if chunk_rows < 1:
        raise BatchPredictError(f"chunk_rows must be at least 1, got {chunk_rows}")
    model_version, bundle = load_model(registry_uri, model_name, version)
    started, predicted_at = time.monotonic(), datetime.now(UTC)
    connection = connect()
    # Two scan threads: the model, not the scan, is the slow part, and every DuckDB thread holds its own
    # row-group buffers (~50 MiB measured), so memory stays the same on a machine with many cores.
    # No progress bar: progress goes to the log, not to a terminal.
    connection.execute("SET threads = 2; SET enable_progress_bar = false")
    try:
        check_destination(destination, key_columns, prediction_columns(bundle.info))
        table = open_input(connection, source_uri, input_columns(bundle.info), key_columns, csv)
        logger.info(
            "predicting %d rows of %s with %s version %s, %d rows a chunk",
            table.rows, source_uri, model_name, model_version, chunk_rows,
        )  # fmt: skip
        done, last_report = 0, started
        with prediction_writer(destination) as writer:
            for batch in stream(connection, table, chunk_rows):
                writer.write(batch.select(list(key_columns)), predict_chunk(bundle, batch), model_version, predicted_at)
                done += batch.num_rows
                if time.monotonic() - last_report >= _PROGRESS_SECONDS or done == table.rows:
                    last_report = time.monotonic()
                    _progress(done, table.rows, last_report - started)
    except (InputError, OutputError, ChunkError) as error:
        raise BatchPredictError(str(error)) from None
    finally:
        connection.close()
    seconds = time.monotonic() - started
    return BatchPredictResult(
        model_name, model_version, source_uri, destination, done, round(seconds, 3), round(done / max(seconds, 1e-9))
    )


def _progress(done: int, total: int, seconds: float) -> None:
    rate = done / max(seconds, 1e-9)
    logger.info("predicted %d / %d rows (%.0f%%), %.0f rows/s", done, total, 100 * done / max(total, 1), rate)

