"""Benchmark: skew and drift statistics, our DuckDB engine vs a numpy reference vs Evidently, one run.

    ./pants package bench:drift-evidently && ./pants run bench:drift -- --rows 10000000
    ./pants run bench:drift -- --smoke            # 200k rows, a few seconds (Evidently if packaged)

The task: a training table of N rows and a serving table of N rows (two halves: earlier and
recent), 10 numeric and 10 categorical features (bench/drift_data.py), a baseline computed from
the training table and stored (baseline.json). Skew = baseline vs the whole serving table; drift =
earlier half vs recent half. Each contender runs in its own child process, which reports its work
time (from before its library imports to the scores: imports, reading and computing) and its peak
RSS (VmHWM); the parent adds the child's wall time (interpreter and PEX start-up included). Ratios
are of work time, so the PEX bootstrap of the Evidently contender does not count against it:
- engine: mlops.monitoring (DuckDB counts on the stored bins, one pass per half; skew's counts are
  the halves' sum);
- reference: mlops.monitoring.reference on the same bins, columns read one at a time into numpy;
- Evidently: its data-drift preset on the same tables with Jensen-Shannon (bench/drift_evidently.py,
  a PEX of the `evidently` resolve). It needs the tables in pandas, so it runs at --evidently-rows
  (default 1M; our engine is measured at that size too, for the ratio).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drift_data import CATEGORICAL, NUMERIC, write_table

EVIDENTLY_PEX = "dist/bench/drift-evidently.pex"


def peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM, not the parent's it was forked from)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)


def prepare(workdir: Path, rows: int) -> None:
    """Training and serving tables, and the stored baseline (its time goes to the report)."""
    write_table(workdir / "training", rows, serving=False)
    write_table(workdir / "earlier", rows // 2, serving=True)
    write_table(workdir / "recent", rows - rows // 2, serving=True, first_row=rows // 2)


def measure_baseline(workdir: Path) -> dict:
    started = time.perf_counter()
    from mlops.monitoring.baseline import compute_baseline, save_baseline

    save_baseline(compute_baseline(str(workdir / "training"), NUMERIC, CATEGORICAL), str(workdir))
    return {"seconds": time.perf_counter() - started}


def measure_engine(workdir: Path) -> dict:
    started = time.perf_counter()
    from mlops.monitoring.baseline import load_baseline
    from mlops.monitoring.drift import count_window, drift, merged, skew

    baseline = load_baseline(str(workdir))
    halves = [count_window(baseline, str(workdir / half)) for half in ("earlier", "recent")]
    reports = {"skew": skew(baseline, merged(halves, "serving")), "drift": drift(baseline, halves[0], halves[1])}
    scores = {kind: {s.feature: s.scores for s in report.features} for kind, report in reports.items()}
    return {"seconds": time.perf_counter() - started, "scores": scores}


def measure_reference(workdir: Path) -> dict:
    started = time.perf_counter()
    import numpy as np
    import pyarrow.parquet as pq

    from mlops.monitoring.baseline import load_baseline
    from mlops.monitoring.reference import bucket_counts, reference_metrics

    baseline = load_baseline(str(workdir))
    scores: dict[str, dict] = {"skew": {}, "drift": {}}
    for name, feature in baseline.features.items():
        halves = []
        for half in ("earlier", "recent"):
            column = pq.read_table(workdir / half, columns=[name]).column(name)
            values = column.to_numpy().astype(np.float64) if feature.kind == "numeric" else column.to_pylist()
            halves.append(bucket_counts(feature, values))
        scores["skew"][name] = reference_metrics(np.asarray(feature.counts), halves[0] + halves[1])
        scores["drift"][name] = reference_metrics(halves[0], halves[1])
    return {"seconds": time.perf_counter() - started, "scores": scores}


def child(mode: str, workdir: Path, evidently_pex: str) -> dict:
    """One measurement in a fresh process; adds the process's wall time to what it reports."""
    if mode == "evidently":
        folders = [str(workdir / name) for name in ("training", "earlier", "recent")]
        command = [evidently_pex, *folders, ",".join(NUMERIC), ",".join(CATEGORICAL)]
    else:
        command = [sys.executable, __file__, "--child", mode, "--workdir", str(workdir)]
    started = time.perf_counter()
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return {**json.loads(output.strip().splitlines()[-1]), "wall": time.perf_counter() - started}


def max_difference(scores: dict, reference: dict) -> float:
    return max(
        abs(value - reference[kind][feature][metric])
        for kind, features in scores.items()
        for feature, metrics in features.items()
        for metric, value in metrics.items()
    )


def run_size(rows: int, contenders: list[str], evidently_pex: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as folder:
        workdir = Path(folder)
        print(f"writing 2 x {rows:,} rows in {workdir} ...", file=sys.stderr)
        prepare(workdir, rows)
        results = {"baseline": child("baseline", workdir, evidently_pex)}
        for mode in contenders:
            print(f"{rows:,} rows: {mode} ...", file=sys.stderr)
            results[mode] = child(mode, workdir, evidently_pex)
    if "reference" in results:
        engine, reference = results["engine"], results["reference"]
        engine["max_abs_difference"] = max_difference(engine["scores"], reference["scores"])
    return results


def table(sizes: dict[int, dict]) -> list[str]:
    lines = [
        "| rows | contender | work s | wall s | peak RSS MiB | work vs Evidently | max abs diff vs reference |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rows, results in sizes.items():
        anchor = results.get("evidently")
        for mode in ("baseline", "engine", "reference", "evidently"):
            if mode not in results:
                continue
            m = results[mode]
            ratio = ""
            if anchor is not None and mode in ("engine", "reference"):
                ratio = f"{anchor['seconds'] / m['seconds']:.1f}x faster"
            difference = f"{m['max_abs_difference']:.1e}" if "max_abs_difference" in m else ""
            label = "baseline (training time, stored)" if mode == "baseline" else mode
            row = f"| {rows:,} | {label} | {m['seconds']:.2f} | {m['wall']:.2f} | {m['peak_rss_mib']:,.0f} |"
            lines.append(f"{row} {ratio} | {difference} |")
    return lines


def goals(sizes: dict[int, dict]) -> list[str]:
    """Each goal, met or not, from the measurements (the engine's scoring, i.e. skew and drift)."""
    lines = []
    ratios = [r["evidently"]["seconds"] / r["engine"]["seconds"] for r in sizes.values() if "evidently" in r]
    if ratios:
        lines.append(f"- >= 10x faster than Evidently: {min(ratios):.1f}x: {'met' if min(ratios) >= 10 else 'NOT met'}")
    peak = max(r["engine"]["peak_rss_mib"] for r in sizes.values())
    lines.append(f"- peak RSS < 2 GiB: engine {peak:,.0f} MiB at most: {'met' if peak < 2048 else 'NOT met'}")
    worst = max(r["engine"]["max_abs_difference"] for r in sizes.values())
    met = "met" if worst <= 1e-9 else "NOT met"
    lines.append(f"- every score within 1e-9 of the reference: {worst:.1e} at most: {met}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of the training and of the serving table")
    parser.add_argument("--smoke", action="store_true", help="200,000 rows: checks the bench runs")
    parser.add_argument("--evidently-rows", type=int, default=1_000_000, help="the size Evidently runs at")
    parser.add_argument("--evidently-pex", default=EVIDENTLY_PEX, help="./pants package bench:drift-evidently")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=("baseline", "engine", "reference"), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure = {"baseline": measure_baseline, "engine": measure_engine, "reference": measure_reference}[args.child]
        print(json.dumps({**measure(args.workdir), "peak_rss_mib": peak_rss_mib()}))
        return 0
    if args.rows < 2 or args.evidently_rows < 2:
        print("--rows and --evidently-rows must be at least 2 (serving is split in two halves)", file=sys.stderr)
        return 2
    rows = 200_000 if args.smoke else args.rows
    evidently_rows = rows if args.smoke else min(args.evidently_rows, rows)
    pex = str(Path(args.evidently_pex).absolute())
    evidently = ["evidently"] if Path(pex).is_file() else []
    if not evidently:
        print(f"{pex} not found: Evidently is left out (./pants package bench:drift-evidently)", file=sys.stderr)
    sizes = {}
    if evidently_rows != rows:
        sizes[evidently_rows] = run_size(evidently_rows, ["engine", "reference", *evidently], pex)
    sizes[rows] = run_size(rows, ["engine", "reference", *(evidently if evidently_rows == rows else [])], pex)
    command = "./pants run bench:drift -- " + " ".join(sys.argv[1:])
    if args.json:
        print(json.dumps({str(size): results for size, results in sizes.items()}))
    heading = f"`{command}` (10 numeric + 10 categorical features; serving = 2 halves of rows/2)"
    print("\n".join([heading, "", *table(sizes), "", *goals(sizes)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
