"""A batch prediction output (components/batch_predict) as request log files that
mlops.monitoring.monitor reads like the model server's (docs/monitoring.md, "Serving data").

A batch output holds the input's `key_columns`, the predictions, `model_version` and `predicted_at`
(when the run started). It can be monitored when its key columns include the model's monitored
inputs (list them in the batch config's `key_columns`): each output row is then one scored
instance, at `predicted_at`, of the version in `model_version`. DuckDB copies the columns monitoring
needs into one Parquet file, streaming, so nothing is loaded into pandas whatever the output's size.
Serving health has no meaning for a batch: every row counts as an answered request, with no latency.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlops import storage
from mlops.monitoring.buckets import MonitoringError, connect, open_source
from mlops.request_log_schema import META_COLUMNS
from mlops.sql import quote_identifier, quote_literal

MODEL_VERSION, PREDICTED_AT = "model_version", "predicted_at"  # components/batch_predict's output columns


def export_batch_output(output: str, inputs: Mapping[str, str], version: str, sha: str, folder: str) -> int:
    """Write the rows of `output` (a batch prediction .parquet) predicted by model version `version`
    as one request log file under `folder`, recorded for model `sha`; returns how many rows.

    `inputs` are the monitored columns and their kinds ("number" or "category"). MonitoringError
    names the file and the columns it lacks, and how to have them.
    """
    connection = connect()
    relation, label = open_source(connection, output)
    needed = [MODEL_VERSION, PREDICTED_AT, *inputs]
    if missing := [name for name in needed if name not in relation.columns]:
        hint = (
            f"list the model's inputs ({', '.join(inputs)}) in the batch config's key_columns to monitor its outputs"
            if MODEL_VERSION not in missing
            else "it is not a batch prediction output"
        )
        raise MonitoringError(f"{label}: no column(s) {missing}: {hint}")
    kept = relation.filter(f"CAST({MODEL_VERSION} AS VARCHAR) = {quote_literal(str(version))}")
    columns = [
        f"CAST({PREDICTED_AT} AS TIMESTAMPTZ) AS request_time",
        "CAST(row_number() OVER () AS VARCHAR) AS request_id",
        "CAST(0 AS INTEGER) AS instance_index",
        f"{quote_literal(sha)} AS model_sha256",
        "CAST(200 AS SMALLINT) AS status",
        "CAST(NULL AS DOUBLE) AS latency_ms",
    ]
    assert [column.rsplit(" AS ", 1)[1] for column in columns] == list(META_COLUMNS)  # the log's own order
    for name, kind in inputs.items():
        # Numbers as DOUBLE, as the server logs them (text that is not a number is null, as the
        # BigQuery reader reads it); categories as they are (monitoring's bins read a whole number
        # in a numeric column as an integer category).
        columns.append(f"TRY_CAST({quote_identifier(name)} AS DOUBLE) AS {quote_identifier(name)}" if kind == "number"
                       else quote_identifier(name))  # fmt: skip
    rows = int(kept.aggregate("count(*)").fetchall()[0][0])
    if rows:
        storage.makedirs(folder)
        target = storage.join(folder, "batch-output.parquet")
        kept.select(", ".join(columns)).write_parquet(target)
    return rows
