"""Stopping a local run on Ctrl-C (SIGINT) or SIGTERM: end the running step's whole process tree,
then unwind kfp.local so the runner can record the run as CANCELLED.

kfp.local starts each step (`sh -c '... python3 -m kfp.dsl.executor_main ...'`) in the CLI's own
process group and never stops it: a SIGTERM ended the CLI and left the step running as an orphan.
The runner starts every step in a session of its own instead (sdk_internals.local_step_sessions),
so the step and whatever it starts share one process group, which `Stopper` ends: SIGTERM, then
SIGKILL after a grace period. A descendant that left the group (a `setsid` of its own) is found
through /proc, before anything is killed (an orphan's parent is no longer its parent), and ended too.
The Docker runner's steps are containers that kfp.local starts detached: the runner labels them
with the run id, and `stop_containers` stops those (`Stopper.also_stop`).

Then `RunCancelled` is raised in the main thread. It is a BaseException, as KeyboardInterrupt is,
so kfp.local's `except Exception` handlers do not turn it into a failed task. kfp.local writes a
task's cache entry only after the task succeeded, atomically (a temporary file renamed), so a
stopped step has none: the next run of the same config re-runs it and reads the finished steps
from the cache.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from mlops.runs import RunRecord

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunCancelled(BaseException):
    """The run was stopped by a signal; `message` is the one line the CLI prints."""

    def __init__(self, signum: int, message: str = "") -> None:
        self.signum = signum
        self.message = message or f"run cancelled by {signal.Signals(signum).name}"
        super().__init__(self.message)

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum


class Stopper:
    """Knows the steps running now; on SIGINT/SIGTERM ends their process trees (and whatever else
    `also_stop` was given) and cancels the run."""

    def __init__(self, grace_seconds: float = 5.0) -> None:
        self.grace_seconds = grace_seconds
        self.signum: int | None = None
        self._steps: list[subprocess.Popen[str]] = []
        self._others: list[tuple[str, Callable[[], None]]] = []
        self._armed = False

    def started(self, process: subprocess.Popen[str]) -> None:
        self._steps.append(process)

    def ended(self, process: subprocess.Popen[str]) -> None:
        if process in self._steps:
            self._steps.remove(process)

    def also_stop(self, what: str, stop: Callable[[], None]) -> None:
        """On a signal, call `stop` too, after the step processes: steps this process did not start
        itself (the Docker runner's containers). `what` names them if `stop` fails."""
        self._others.append((what, stop))

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[Stopper]:
        """Cancel the run on the first SIGINT/SIGTERM until `disarm`; after it (the run is being
        recorded) a signal is ignored with a line saying so, so that the record is complete.
        Outside the main thread, Python cannot handle signals: then this does nothing."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = {signum: signal.signal(signum, self._handle) for signum in SIGNALS}
        self._armed = True
        try:
            yield self
        finally:
            self._armed = False
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def disarm(self) -> None:
        self._armed = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if not self._armed:  # the run has ended (or is cancelled already): its record is being written
            print(f"mlops: {name}: recording the run first", file=sys.stderr, flush=True)
            return
        self.signum, self._armed = signum, False
        print(f"mlops: {name}: stopping the run", file=sys.stderr, flush=True)
        for process in list(self._steps):
            stop_tree(process.pid, self.grace_seconds)
        for what, stop in self._others:
            try:
                stop()
            except Exception as error:  # the run is still recorded; say what may be left running
                print(f"mlops: could not stop {what}: {error}", file=sys.stderr, flush=True)
        raise RunCancelled(signum)


def stop_tree(leader: int, grace_seconds: float) -> None:
    """End process `leader`, the group it leads and every descendant: SIGTERM, then SIGKILL after
    `grace_seconds`. Does not reap `leader` (its Popen does, without racing this signal handler)."""
    pids = [leader, *descendants(leader)]
    _send(leader, pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while any(map(alive, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if any(map(alive, pids)):
        _send(leader, pids, signal.SIGKILL)


def _send(leader: int, pids: list[int], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(leader, signum)
    for pid in pids:  # those that left the group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def descendants(pid: int) -> list[int]:
    """The pids of every process below `pid` (Linux: read from /proc; elsewhere none are found)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name (in parentheses) may hold spaces: the fields after it are fixed.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], list(children.get(pid, []))
    while queue:
        child = queue.pop()
        found.append(child)
        queue.extend(children.get(child, []))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` still runs: exists and is not a zombie (dead, waiting for its parent to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def stop_containers(label: str, grace_seconds: float) -> None:
    """Stop every running Docker container labelled `label` (KEY=VALUE): SIGTERM, then SIGKILL after
    `grace_seconds` (Docker's own stop). kfp.local starts the Docker runner's steps detached, so
    they would outlive the run; they are removed once stopped (auto_remove)."""
    import docker  # only the Docker runner needs it

    client = docker.from_env()
    try:
        for container in client.containers.list(filters={"label": label}):
            container.stop(timeout=max(1, round(grace_seconds)))
    finally:
        client.close()


def cancelled_line(record: RunRecord, enable_caching: bool) -> str:
    """What the CLI prints for a cancelled run: what is recorded, and how to resume."""
    finished = [task.name for task in record.tasks if task.status in ("SUCCEEDED", "CACHED")]
    resume = (
        f"run the same command again to resume after {', '.join(finished)} (cached)"
        if finished and enable_caching
        else "run the same command again to start over"
    )
    return f"run {record.run_id} {record.error}; recorded as CANCELLED (mlops runs show {record.run_id}); {resume}"
