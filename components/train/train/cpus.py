"""How many CPUs this step may use: the ones the container was given, not the ones the host has.

On Vertex AI the step's `cpu` resource (config `resources.train.cpu`) becomes a cgroup CPU quota,
and on a shared machine the process may be pinned to some cores; `os.cpu_count()` sees neither and
reports the whole host. Estimator threads are sized from `available_cpus()`, read when the model
is built (in the step), never at import time or from a constant.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cgroup_cpu_limit(root: Path | None = None) -> float | None:
    """The CPU quota of this cgroup in CPUs (e.g. 4.0, 0.5), or None when there is none or it is unreadable.

    cgroup v2 keeps "QUOTA PERIOD" (or "max PERIOD") in cpu.max; cgroup v1 keeps the quota
    (-1: none) and period in cpu/cpu.cfs_quota_us and cpu/cpu.cfs_period_us.
    """
    root = CGROUP_ROOT if root is None else root
    try:
        if (v2 := root / "cpu.max").is_file():
            quota, _, period = v2.read_text().strip().partition(" ")
            return None if quota == "max" else int(quota) / int(period or 100_000)
        if (v1 := root / "cpu" / "cpu.cfs_quota_us").is_file():
            quota_us = int(v1.read_text().strip())
            return None if quota_us <= 0 else quota_us / int((root / "cpu" / "cpu.cfs_period_us").read_text().strip())
    except (OSError, ValueError, ZeroDivisionError):
        return None  # a limit we cannot read is one we cannot honour: the affinity alone decides
    return None


def available_cpus(root: Path | None = None) -> int:
    """The CPUs this process may run on (its affinity), capped by the cgroup quota rounded up; at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux: no affinity to read
        cpus = os.cpu_count() or 1
    if (limit := cgroup_cpu_limit(root)) is not None:
        cpus = min(cpus, math.ceil(limit))
    return max(1, cpus)
