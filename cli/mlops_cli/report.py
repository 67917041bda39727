"""Plain-text views of runs, lineage and models for the terminal."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from mlops.lineage import Lineage


def progress(message: str) -> None:
    """A progress line of a running command, on stderr (stdout holds its result)."""
    print(f"mlops: {message}", file=sys.stderr, flush=True)


def runs_table(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "no runs yet: start one with `mlops run`"
    rows = [("RUN ID", "STATUS", "RUNNER", "STARTED", "DURATION", "REGISTERED")]
    for run in runs:
        register = next((t for t in run.get("tasks", []) if t["name"] == "register"), None)
        version = register["outputs"].get("Output", "") if register and register["status"] != "FAILED" else ""
        rows.append(
            (
                run["run_id"],
                run["status"],
                run["runner"],
                run["started_at"],
                f"{run['duration_seconds']:.1f}s",
                str(version or "-"),
            )
        )
    return _table(rows)


def run_details(run: dict[str, Any]) -> str:
    lines = [
        f"run {run['run_id']} ({run['pipeline']}, runner {run['runner']}, env {run['environment']}): {run['status']}",
        f"started {run['started_at']}, took {run['duration_seconds']:.1f}s",
    ]
    if run.get("error"):
        lines.append(f"error: {run['error']}")
    lines.extend(f"{name}: {link}" for name, link in run.get("links", {}).items())
    rows = [("TASK", "STATUS", "DURATION", "OUTPUTS")]
    for task in run.get("tasks", []):
        outputs = ", ".join(_short(name, value) for name, value in task.get("outputs", {}).items())
        rows.append((task["name"], task["status"], f"{task['duration_seconds']:.1f}s", outputs or "-"))
    return "\n".join(lines) + "\n" + _table(rows)


def lineage_text(lineage: Lineage) -> str:
    """The run's inputs, then each step's output artifacts in run order, as computed from its record."""
    registered = lineage.registered
    run = f"run {lineage.run_id}, pipeline {lineage.pipeline}"
    rows = [("", name, uri) for name, uri in lineage.inputs.items()]
    for link in lineage.links:
        scores = {name: round(value, 4) for name, value in link.metrics.items()}
        rows.append((link.step, link.output, f"{link.uri}  {json.dumps(scores)}" if scores else link.uri))
    lines = [f"model version {registered.model_name}:{registered.version} ({run})" if registered else run]
    if rows:
        lines.extend(f"  {line}" for line in _table([("STEP", "OUTPUT", "URI"), *rows]).splitlines())
    return "\n".join(lines)


def models_table(versions: list[Any]) -> str:
    if not versions:
        return "no versions registered"
    rows = [("VERSION", "ALIASES", "CREATED", "METRICS")]
    for version in versions:
        metrics = {k: round(v, 4) for k, v in (version.metrics or {}).items() if isinstance(v, float | int)}
        rows.append((version.version, ",".join(version.aliases) or "-", str(version.created_at), json.dumps(metrics)))
    return _table(rows)


def _short(name: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"{name}={value.get('uri', '')}"
    return f"{name}={value}"


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )
