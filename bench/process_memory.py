"""Peak memory of a process tree, counted once: the sum of the proportional set sizes (PSS) of a
process and everything below it, sampled while it runs (Linux /proc).

RSS counts a page in every process that maps it: a step forked from a warm server would count the
server's modules again, and two processes sharing a library both count it whole. PSS divides each
shared page among the processes that share it, so the sum over a tree is the memory the tree takes.
Sampling misses peaks shorter than the interval; reading smaps_rollup costs a little CPU (each
sample walks the processes' page tables), the same for every contender.
"""

from __future__ import annotations

import threading
from pathlib import Path

from mlops.testing.processes import processes_below

INTERVAL_SECONDS = 0.2


def pss_kib(pid: int) -> int:
    """The process's PSS in KiB, 0 if it has ended."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class PeakPss:
    """Samples the summed PSS of the processes below `root` (itself excluded) until stopped."""

    def __init__(self, root: int, interval: float = INTERVAL_SECONDS) -> None:
        self.root, self.interval = root, interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakPss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mib(self) -> float:
        return round(self.peak_kib / 1024, 1)

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak_kib = max(self.peak_kib, sum(pss_kib(pid) for pid in processes_below(self.root)))
