"""The training benchmark's Markdown report (bench/training_benchmark.py): whole runs side by side
with ratios, then per step the script's time and each runner's time and overhead, then throughput."""

from __future__ import annotations

import statistics


def median_run(runs: list[dict]) -> dict:
    """One measurement's repeated results as one: median times (whole run and per step), the
    highest peak memory. A step's status is that of its first run (the same in every run)."""
    median = statistics.median
    times = [key for key in ("wall_seconds", "seconds", "task_seconds") if key in runs[0]]
    merged = {key: round(median([run[key] for run in runs]), 2) for key in times}
    for memory in ("peak_rss_mib", "peak_pss_mib"):
        if memory in runs[0]:
            merged[memory] = max(run[memory] for run in runs)
    merged["tasks"] = {
        step: [status, round(median([run["tasks"].get(step, [status, 0.0])[1] for run in runs]), 3)]
        for step, (status, _) in runs[0]["tasks"].items()
    }
    merged["runs"] = len(runs)
    return merged


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _seconds(run: dict, step: str) -> float | None:
    status, seconds = run["tasks"].get(step, ["-", 0.0])
    return seconds if status == "SUCCEEDED" else None


def overheads(script: dict, run: dict) -> dict[str, float]:
    """Per step that ran in both: its pipeline time minus the same function's time in the script."""
    found = {}
    for step in run["tasks"]:
        ours, theirs = _seconds(run, step), _seconds(script, step)
        if ours is not None and theirs is not None:
            found[step] = round(ours - theirs, 2)
    return found


def report(r: dict) -> str:
    """The whole report for results `r` (as training_benchmark.main collects them)."""
    script, runners = r["script"], r["runners"]
    firsts = {runner: r[f"pipeline {runner}"] for runner in runners}
    agains = {runner: r[f"pipeline again {runner}"] for runner in runners}

    def timing(name: str, run: dict, steps: float, ratio: str) -> str:
        return _row(name, run["wall_seconds"], steps, run["peak_rss_mib"], run.get("peak_pss_mib", "-"), ratio)

    lines = [
        f"Training pipeline on {r['rows']:,} churn rows (2 cores), median of {r.get('repeat', 1)} run(s):",
        "",
        _row("measurement", "wall s", "steps s", "peak RSS MiB (largest process)", "peak PSS MiB (all)", "ratio"),
        _row("---", "---:", "---:", "---:", "---:", "---:"),
        timing("plain script (same step functions, one process)", script, script["seconds"], "1.00"),
    ]
    for runner in runners:
        first, again = firsts[runner], agains[runner]
        ratio = f"{first['wall_seconds'] / script['wall_seconds']:.2f} x script"
        lines.append(timing(f"pipeline, --runner {runner}, first run", first, first["task_seconds"], ratio))
        ratio = f"{again['wall_seconds'] / first['wall_seconds']:.2f} x first run"
        name = f"pipeline, --runner {runner}, again, nothing changed"
        lines.append(timing(name, again, again["task_seconds"], ratio))
    steps = list(dict.fromkeys(step for runner in runners for step in firsts[runner]["tasks"]))
    costs = {runner: overheads(script, firsts[runner]) for runner in runners}
    header = ["step", "script s"]
    for runner in runners:
        header += [f"{runner} s", f"{runner} overhead s"]
    lines += [
        "",
        "Per step, first runs (a step's overhead: its pipeline time minus the script's time for it):",
        "",
        _row(*header),
        _row("---", *["---:"] * (len(header) - 1)),
    ]
    for step in steps:
        theirs = _seconds(script, step)
        cells: list[object] = [step, "-" if theirs is None else f"{theirs:.2f}"]
        for runner in runners:
            status, seconds = firsts[runner]["tasks"].get(step, ["-", 0.0])
            cells.append(f"{seconds:.2f}" if status == "SUCCEEDED" else f"{status} {seconds:.2f}")
            cost = costs[runner].get(step)
            cells.append("-" if cost is None else f"{cost:+.2f}")
        lines.append(_row(*cells))
    total: list[object] = ["sum of overheads", ""]
    for runner in runners:
        total += ["", f"{sum(costs[runner].values()):+.2f}"]
    lines.append(_row(*total))
    if r.get("throughput"):
        lines += [
            "",
            _row("ingest + features", "rows/s", "ingest s", "features s", "peak RSS MiB"),
            _row("---", "---:", "---:", "---:", "---:"),
        ]
        for t in r["throughput"]:
            cells = [f"{t['rows']:,} rows", f"{t['rows_per_second']:,}", t["ingest_seconds"], t["features_seconds"]]
            lines.append(_row(*cells, t["peak_rss_mib"]))
    return "\n".join(lines)
