"""Ingest: read a source table, assign rows to train/valid/test and write one Parquet file each.

All the work happens inside DuckDB in a single pass over the source, with the split written as a
partitioned Parquet export, so memory stays bounded whatever the table size.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Literal

import duckdb

from ingest.sources import SourceError, open_source
from mlops import storage
from mlops.csv_files import CsvError, CsvOptions
from mlops.retries import transient_cause
from mlops.row_keys import ROW_KEY_COLUMN, SNAPSHOT_TIME_COLUMN
from mlops.sql import quote_identifier, quote_literal

SPLITS = ("train", "valid", "test")
_SPLIT_COLUMN = "__split"


class IngestError(Exception):
    """Bad input to ingest. The message names the source, column or value at fault."""


@dataclass(frozen=True)
class SplitSpec:
    """How rows are assigned to splits. Fractions must add up to 1."""

    method: Literal["random", "time"] = "random"
    train_fraction: float = 0.8
    valid_fraction: float = 0.1
    test_fraction: float = 0.1
    seed: int = 42
    key_column: str | None = None  # random split: rows sharing a key stay together
    time_column: str | None = None  # time split: required

    def validate(self) -> None:
        if self.method not in ("random", "time"):
            raise IngestError(f"split method must be 'random' or 'time', got {self.method!r}")
        fractions = (self.train_fraction, self.valid_fraction, self.test_fraction)
        if any(not 0 <= value <= 1 for value in fractions) or self.train_fraction == 0:
            raise IngestError(f"split fractions must be in [0, 1] with train > 0, got {fractions}")
        if abs(sum(fractions) - 1) > 1e-6:
            raise IngestError(f"split fractions must add up to 1, got {fractions} (sum {sum(fractions):g})")
        if self.method == "time" and not self.time_column:
            raise IngestError("a time split needs time_column: the column that orders rows in time")


@dataclass(frozen=True)
class IngestResult:
    rows: Mapping[str, int]
    columns: Mapping[str, str]  # name -> DuckDB type
    outputs: Mapping[str, str] = field(default_factory=dict)
    skipped_rows: int = 0  # unparsable CSV rows dropped (CsvOptions.bad_rows == "skip")

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def render_split_sql(source_relation: str, spec: SplitSpec, derived_columns: str = "") -> str:
    """The split query from its SQL template. Identifiers are quoted; numbers come typed from spec.

    `derived_columns` (from `render_derived_columns`) are added to every row before the split column.
    """
    template = _template(f"split_{spec.method}.sql")
    train_cut = float(spec.train_fraction)
    return template.format(
        source=source_relation,
        derived_columns=derived_columns,
        split_column=quote_identifier(_SPLIT_COLUMN),
        # Without a key column the whole row is the key: deterministic, and duplicates stay together.
        key=quote_identifier(spec.key_column) if spec.key_column else "source_row",
        time_column=quote_identifier(spec.time_column or ""),
        seed=int(spec.seed),
        train_cut=train_cut,
        valid_cut=train_cut + float(spec.valid_fraction),
    )


def render_derived_columns(spec: SplitSpec, snapshot_time: datetime) -> str:
    """The key columns of mlops.row_keys that `spec` lacks: a row key without key_column, and
    `snapshot_time` (UTC) as every row's time without time_column."""
    sql = ""
    if not spec.key_column:
        sql += _template("row_key.sql").format(name=quote_identifier(ROW_KEY_COLUMN))
    if not spec.time_column:
        moment = snapshot_time.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        name = quote_identifier(SNAPSHOT_TIME_COLUMN)
        sql += _template("snapshot_time.sql").format(name=name, snapshot_time=quote_literal(moment))
    return sql


def _template(name: str) -> str:
    return resources.files("ingest").joinpath("sql", name).read_text()


def ingest_to_parquet(
    source_uri: str,
    outputs: Mapping[str, str],
    spec: SplitSpec | None = None,
    *,
    bigquery_endpoint: str | None = None,
    csv: CsvOptions | None = None,
    drop_columns: Sequence[str] = (),
    derive_keys: bool = False,
) -> IngestResult:
    """Read `source_uri` and write each split in `outputs` (split name -> local file path).

    `bigquery_endpoint` points `bq://` sources at another BigQuery API root (an emulator or a fake);
    `csv` says how CSV files are parsed (delimiter, header, null markers, bad rows);
    `drop_columns` are left out of the outputs. With `derive_keys`, a table without key_column or
    time_column gets the key columns of mlops.row_keys in their place.

    Outputs are written to a temporary folder first and moved into place only once every split
    is complete, so a failure never leaves a partial dataset behind.
    """
    spec = spec or SplitSpec()
    spec.validate()
    if unknown := set(outputs) - set(SPLITS):
        raise IngestError(f"unknown split(s) {sorted(unknown)}; expected a subset of {SPLITS}")
    connection = duckdb.connect()
    try:
        relation, skipped = _source_view(connection, source_uri, bigquery_endpoint, csv, drop_columns)
        columns = dict(connection.execute("SELECT column_name, column_type FROM (DESCRIBE source_rows)").fetchall())
        _check_columns(source_uri, columns, spec, derive_keys)
        derived = render_derived_columns(spec, datetime.now(UTC)) if derive_keys else ""
        query = render_split_sql(relation, spec, derived)
        columns = _described(connection, query)
        with storage.staging_folder(outputs.values(), prefix="ingest-") as staging:
            connection.execute(
                f"COPY ({query}) TO {quote_literal(str(staging))} "
                f"(FORMAT parquet, PARTITION_BY ({quote_identifier(_SPLIT_COLUMN)}), OVERWRITE_OR_IGNORE)"
            )
            rows = _publish(connection, staging, outputs, columns)
    except duckdb.Error as error:
        raise IngestError(f"{source_uri}: {str(error).splitlines()[0]}") from transient_cause(error)
    finally:
        connection.close()
    return IngestResult(rows=rows, columns=columns, outputs=dict(outputs), skipped_rows=skipped)


def _described(connection: duckdb.DuckDBPyConnection, query: str) -> dict[str, str]:
    """The output columns (name -> type) of `query`, without the split column."""
    described = dict(connection.execute(f"SELECT column_name, column_type FROM (DESCRIBE {query})").fetchall())
    described.pop(_SPLIT_COLUMN, None)
    return described


def _source_view(
    connection: duckdb.DuckDBPyConnection,
    source_uri: str,
    bigquery_endpoint: str | None,
    csv: CsvOptions | None,
    drop_columns: Sequence[str],
) -> tuple[str, int]:
    try:
        source = open_source(
            connection, source_uri, bigquery_endpoint=bigquery_endpoint, csv=csv, drop_columns=drop_columns
        )
        connection.execute(f"CREATE OR REPLACE TEMP VIEW source_rows AS SELECT * FROM {source.relation}")
    except (SourceError, CsvError) as error:
        raise IngestError(str(error)) from transient_cause(error)
    except duckdb.Error as error:
        message = f"{source_uri}: cannot read source: {str(error).splitlines()[0]}"
        raise IngestError(message) from transient_cause(error)
    # A CSV file was counted while it was checked for bad rows: no second scan.
    count = source.rows
    if count is None:
        (count,) = connection.execute("SELECT count(*) FROM source_rows").fetchone() or (0,)
    if count == 0:
        raise IngestError(f"{source_uri}: source table is empty (0 rows)")
    return "source_rows", source.skipped_rows


def _check_columns(source_uri: str, columns: Mapping[str, str], spec: SplitSpec, derive_keys: bool) -> None:
    for role, name, derived in (
        ("key_column", spec.key_column, ROW_KEY_COLUMN),
        ("time_column", spec.time_column, SNAPSHOT_TIME_COLUMN),
    ):
        if name and name not in columns:
            raise IngestError(f"{source_uri}: {role} {name!r} is not a column; columns are: {', '.join(columns)}")
        if derive_keys and not name and derived in columns:
            raise IngestError(
                f"{source_uri}: has a column named {derived!r}, the name ingest gives the column it derives "
                f"when no {role} is set; name it as the {role} (data.entity_column / data.timestamp_column) "
                "or rename it"
            )
    if _SPLIT_COLUMN in columns:
        raise IngestError(f"{source_uri}: column name {_SPLIT_COLUMN!r} is reserved for the split")


def _publish(
    connection: duckdb.DuckDBPyConnection, staging: Path, outputs: Mapping[str, str], columns: Mapping[str, str]
) -> dict[str, int]:
    """Move each split's single Parquet file to its output path; an empty split gets an empty file."""
    rows: dict[str, int] = {}
    for split in SPLITS:
        written = sorted((staging / f"{_SPLIT_COLUMN}={split}").glob("*.parquet"))
        if len(written) > 1:
            merged = staging / f"{split}.parquet"
            files = [str(p) for p in written]
            connection.execute(f"COPY (SELECT * FROM read_parquet({files})) TO '{merged}' (FORMAT parquet)")
            written = [merged]
        if not written:
            empty = staging / f"{split}.parquet"
            select_list = ", ".join(f"CAST(NULL AS {kind}) AS {quote_identifier(col)}" for col, kind in columns.items())
            connection.execute(f"COPY (SELECT {select_list} LIMIT 0) TO '{empty}' (FORMAT parquet)")
            written = [empty]
        (count,) = connection.execute(f"SELECT count(*) FROM read_parquet('{written[0]}')").fetchone() or (0,)
        rows[split] = int(count)
        if split in outputs:
            Path(outputs[split]).parent.mkdir(parents=True, exist_ok=True)
            os.replace(written[0], outputs[split])
    return rows
