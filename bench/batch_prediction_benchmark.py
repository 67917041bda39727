"""Benchmark: batch prediction (streamed chunks) vs reading the whole table into pandas and predicting.

    ./pants run bench:batch-prediction -- --rows 10000000      # default 10M rows; --smoke: 200k

Both score the same Parquet table (churn-like rows written by DuckDB, never held in memory by the
parent) with the same registered LightGBM model and write the same columns (key, prediction,
class probabilities) to Parquet. Each runs in its own child process, which reports its own peak
RSS (VmHWM: only its own memory, not the parent's it was forked from) and rows/s. Printed as
Markdown, side by side with ratios (and JSON with --json).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODEL = "churn"
GOALS = "goals: batch peak RSS < 2 GiB at any size, and >= 2x the rows/s of pandas"


def peak_rss_mib() -> float:
    """This process's own peak RSS (Linux /proc/self/status VmHWM, KiB)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)


def write_rows(path: Path, rows: int) -> None:
    """`rows` churn-like rows straight from DuckDB to Parquet (pseudo-random from a hash of the row number)."""
    import duckdb

    duckdb.sql(
        f"""COPY (SELECT i AS entity_id, (hash(i) % 72)::DOUBLE AS tenure_months,
                20 + (hash(i + 1) % 9000) / 100.0 AS monthly_charges, (hash(i + 2) % 8)::DOUBLE AS support_calls,
                ['monthly', 'one_year', 'two_year'][1 + (hash(i + 3) % 3)::BIGINT] AS contract_type,
                ['card', 'bank_transfer', 'invoice'][1 + (hash(i + 4) % 3)::BIGINT] AS payment_method,
                ['north', 'south', 'east', 'west'][1 + (hash(i + 5) % 4)::BIGINT] AS region
            FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)"""
    )


def register_model(workdir: Path) -> str:
    """A LightGBM churn model (mlops.testing.bundles) registered in a local registry; returns the registry."""
    from mlops.model_bundle import save_bundle
    from mlops.registry import open_registry
    from mlops.testing.bundles import fit_bundle, write_splits

    splits = write_splits(workdir, "churn", {"train": (20_000, 1)})
    save_bundle(fit_bundle("churn", splits["train"], "lightgbm"), str(workdir / "bundle"))
    open_registry(str(workdir / "registry")).register(MODEL, str(workdir / "bundle"), metrics={})
    return str(workdir / "registry")


def measure_batch(source: str, registry: str, output: str, chunk_rows: int) -> dict:
    from batch_predict.core import load_model, run_batch_predict

    load_model(registry, MODEL)  # imports and unpickling outside the timing, as for pandas
    started = time.perf_counter()
    result = run_batch_predict(source, registry, MODEL, output, key_columns=["entity_id"], chunk_rows=chunk_rows)
    return {"rows": result.rows, "seconds": time.perf_counter() - started}


def measure_pandas(source: str, registry: str, output: str) -> dict:
    """The obvious alternative: read the table whole, predict with mlops.model_bundle's public calls
    (`predict` and `predict_proba`, each running the bundle's preprocessing), write it whole."""
    import pandas as pd

    from batch_predict.core import load_model
    from mlops.model_bundle import predict, predict_proba

    version, bundle = load_model(registry, MODEL)
    started = time.perf_counter()
    frame = pd.read_parquet(source)
    result = pd.DataFrame({"entity_id": frame["entity_id"], "prediction": predict(bundle, frame)})
    probabilities = predict_proba(bundle, frame)
    for index, label in enumerate(bundle.info.classes):
        result[f"probability_{label}"] = probabilities[:, index]
    result["model_version"] = version
    result.to_parquet(output)
    return {"rows": len(result), "seconds": time.perf_counter() - started}


def child(mode: str, workdir: Path, chunk_rows: int) -> dict:
    """Run one measurement in a fresh interpreter; returns its rows, seconds and peak RSS."""
    command = [sys.executable, __file__, "--child", mode, "--workdir", str(workdir), "--chunk-rows", str(chunk_rows)]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(rows: int, chunk_rows: int, batch: dict, whole: dict, command: str) -> str:
    rate = {name: m["rows"] / m["seconds"] for name, m in (("batch", batch), ("pandas", whole))}
    lines = [
        f"`{command}` ({rows:,} rows, chunks of {chunk_rows:,} rows)",
        "",
        "| | batch (streamed) | pandas (whole table) | batch / pandas |",
        "| --- | --- | --- | --- |",
        f"| seconds | {batch['seconds']:.1f} | {whole['seconds']:.1f} | {batch['seconds'] / whole['seconds']:.2f} |",
        f"| rows/s | {rate['batch']:,.0f} | {rate['pandas']:,.0f} | {rate['batch'] / rate['pandas']:.2f} |",
        f"| peak RSS (MiB) | {batch['peak_rss_mib']:,.0f} | {whole['peak_rss_mib']:,.0f} | "
        f"{batch['peak_rss_mib'] / whole['peak_rss_mib']:.2f} |",
        "",
        GOALS,
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--smoke", action="store_true", help="200,000 rows: checks the bench runs")
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=("batch", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        source, registry = str(args.workdir / "rows.parquet"), str(args.workdir / "registry")
        output = str(args.workdir / f"{args.child}.parquet")
        if args.child == "batch":
            measured = measure_batch(source, registry, output, args.chunk_rows)
        else:
            measured = measure_pandas(source, registry, output)
        print(json.dumps({**measured, "peak_rss_mib": peak_rss_mib()}))
        return 0
    rows = 200_000 if args.smoke else args.rows
    command = "./pants run bench:batch-prediction -- " + (" ".join(sys.argv[1:]) or f"--rows {rows}")
    with tempfile.TemporaryDirectory(prefix="batch-bench-") as folder:
        workdir = Path(folder)
        print(f"writing {rows:,} rows and registering a model in {workdir} ...", file=sys.stderr)
        write_rows(workdir / "rows.parquet", rows)
        register_model(workdir)
        batch = child("batch", workdir, args.chunk_rows)
        whole = child("pandas", workdir, args.chunk_rows)
    print(json.dumps({"rows": rows, "batch": batch, "pandas": whole}) if args.json else "")
    print(report(rows, args.chunk_rows, batch, whole, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
