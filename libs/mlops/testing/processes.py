"""This machine's processes, read from /proc (Linux): what a stopped run must not leave running
(tests), and which processes a run is made of (benchmarks)."""

from __future__ import annotations

from pathlib import Path


def processes_below(pid: int) -> list[int]:
    """Every process below `pid` now (`pid` itself excluded)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # a process that ended while being read
    below: list[int] = []
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        below.extend(frontier)
    return below


def running(pid: int) -> bool:
    """Whether `pid` still runs (exists and is not a zombie)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
