"""Seeded synthetic tabular data with real signal, for demos, tests and benchmarks.

`churn` is a binary classification problem (will a subscriber cancel?) and `energy` a regression
problem (a building's daily energy use). Both have an entity id, an event timestamp, numeric and
categorical features, and a label that depends on the features, so a model has something to learn.
Drift (shifted distributions) and bad rows (nulls, out-of-range values, unknown categories) can be
injected to exercise validation and monitoring.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

PROBLEMS = ("churn", "energy")
_START = np.datetime64("2025-01-01T00:00:00")
_SPAN_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class SampleSpec:
    problem: str = "churn"
    rows: int = 10_000
    seed: int = 7
    drift: float = 0.0  # 0 = none, 1 = strong shift of feature distributions
    bad_row_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.problem not in PROBLEMS:
            raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}, got {self.problem!r}")
        if self.rows < 1:
            raise ValueError(f"rows must be at least 1, got {self.rows}")
        if not 0.0 <= self.drift <= 1.0:
            raise ValueError(f"drift must be between 0 and 1, got {self.drift}")
        if not 0.0 <= self.bad_row_fraction < 1.0:
            raise ValueError(f"bad_row_fraction must be in [0, 1), got {self.bad_row_fraction}")


def generate(spec: SampleSpec, *, first_row: int = 0) -> pa.Table:
    """Rows `first_row .. first_row + spec.rows` of the data set; chunks concatenate seamlessly."""
    rng = np.random.default_rng([spec.seed, first_row])
    ids = np.arange(first_row, first_row + spec.rows)
    timestamps = _START + rng.integers(0, _SPAN_SECONDS, spec.rows).astype("timedelta64[s]")
    columns = _churn(rng, spec) if spec.problem == "churn" else _energy(rng, spec)
    table = pa.table({"entity_id": ids, "event_timestamp": timestamps, **columns})
    if spec.bad_row_fraction:
        table = _inject_bad_rows(table, rng, spec.bad_row_fraction)
    return table


def _churn(rng: np.random.Generator, spec: SampleSpec) -> dict[str, np.ndarray]:
    n, d = spec.rows, spec.drift
    tenure = rng.gamma(2.0, 12.0 * (1 - 0.5 * d), n).clip(0, 120).round(1)
    charges = rng.normal(65 + 25 * d, 20, n).clip(10, 200).round(2)
    calls = rng.poisson(1.5 + 2 * d, n)
    contract = rng.choice(["monthly", "one_year", "two_year"], n, p=[0.55 + 0.3 * d, 0.25 - 0.15 * d, 0.2 - 0.15 * d])
    payment = rng.choice(["card", "bank_transfer", "invoice"], n, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south", "east", "west"], n)
    logit = (
        -1.0
        - 0.04 * tenure
        + 0.025 * (charges - 65)
        + 0.45 * calls
        + np.select([contract == "monthly", contract == "one_year"], [1.2, -0.3], -1.5)
        + np.where(payment == "invoice", 0.5, 0.0)
        + rng.normal(0, 0.5, n)
    )
    churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return {
        "tenure_months": tenure,
        "monthly_charges": charges,
        "support_calls": calls,
        "contract_type": contract,
        "payment_method": payment,
        "region": region,
        "churned": churned,
    }


def _energy(rng: np.random.Generator, spec: SampleSpec) -> dict[str, np.ndarray]:
    n, d = spec.rows, spec.drift
    floor_area = rng.lognormal(7.0, 0.5, n).round(0)
    outdoor_temp = rng.normal(12 + 8 * d, 8, n).round(1)
    occupancy = rng.uniform(0, 1, n).round(3)
    building = rng.choice(["office", "retail", "warehouse", "school"], n, p=[0.4, 0.25, 0.2, 0.15])
    insulation = rng.choice(["poor", "average", "good"], n, p=[0.3 - 0.2 * d, 0.4, 0.3 + 0.2 * d])
    base = np.select([building == "office", building == "retail", building == "warehouse"], [0.12, 0.15, 0.05], 0.09)
    loss = np.select([insulation == "poor", insulation == "average"], [1.4, 1.0], 0.7)
    energy = floor_area * (base + 0.004 * np.abs(outdoor_temp - 18) * loss) * (0.6 + 0.8 * occupancy)
    energy_kwh = (energy * rng.lognormal(0, 0.08, n)).round(2)
    return {
        "floor_area_m2": floor_area,
        "outdoor_temp_c": outdoor_temp,
        "occupancy_rate": occupancy,
        "building_type": building,
        "insulation": insulation,
        "energy_kwh": energy_kwh,
    }


def _inject_bad_rows(table: pa.Table, rng: np.random.Generator, fraction: float) -> pa.Table:
    """Nulls, negative values and an unknown category, each in a share of the bad rows."""
    bad = rng.random(table.num_rows) < fraction
    kind = rng.integers(0, 3, table.num_rows)
    numeric = next(n for n in table.column_names[2:] if pa.types.is_floating(table.schema.field(n).type))
    category = next(n for n in table.column_names[2:] if pa.types.is_string(table.schema.field(n).type))
    values = table.column(numeric).to_numpy().astype(float)
    values = np.where(bad & (kind == 1), -values - 1, values)
    numeric_column = pa.array(values, mask=bad & (kind == 0))
    categories = table.column(category).to_numpy(zero_copy_only=False).astype(object)
    categories = np.where(bad & (kind == 2), "UNKNOWN", categories)
    table = table.set_column(table.column_names.index(numeric), numeric, numeric_column)
    return table.set_column(table.column_names.index(category), category, pa.array(categories, pa.string()))


def write(spec: SampleSpec, path: Path, *, chunk_rows: int = 1_000_000) -> None:
    """Write the data set as Parquet or CSV (by suffix) in chunks, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
    try:
        for first in range(0, spec.rows, chunk_rows):
            chunk = generate(replace(spec, rows=min(chunk_rows, spec.rows - first)), first_row=first)
            if writer is None:
                csv = path.suffix == ".csv"
                writer = pa_csv.CSVWriter(temp, chunk.schema) if csv else pq.ParquetWriter(temp, chunk.schema)
            writer.write_table(chunk)
        assert writer is not None
        writer.close()
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sample-data", description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="file to write: .parquet or .csv")
    parser.add_argument("--problem", choices=PROBLEMS, default="churn")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drift", type=float, default=0.0, help="0 (none) to 1 (strong)")
    parser.add_argument("--bad-rows", type=float, default=0.0, dest="bad_row_fraction", help="fraction of bad rows")
    args = parser.parse_args(argv)
    if args.output.suffix not in (".parquet", ".csv"):
        parser.error(f"output must end in .parquet or .csv, got {args.output.name!r}")
    try:
        spec = SampleSpec(args.problem, args.rows, args.seed, args.drift, args.bad_row_fraction)
    except ValueError as error:
        parser.error(str(error))
    started = time.perf_counter()
    write(spec, args.output)
    seconds = time.perf_counter() - started
    print(f"wrote {spec.rows:,} {spec.problem} rows to {args.output} in {seconds:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
