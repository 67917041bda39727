"""Each task's output kept whole in the run's log, while tasks run at the same time.

kfp.local prints a task's executor input and its step's output lines to stdout, which the runner
sends to the run's log file. With tasks running side by side (mlops_cli.dag_runner) those lines
would interleave, and the log could no longer be cut into each task's part (which is where
mlops_cli.step_errors finds a failed step's exception). `TaskStreams` stands in for stdout: a
thread that runs a task writes to that task's own buffer; when the task ends its buffer is appended
to the log in one piece, and its (start, end) offsets returned. Other threads write to the log
directly.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from typing import IO


class TaskStreams(io.StringIO):
    """A stdout for the run: per-task buffers, appended whole to `log`."""

    # A StringIO only to be a text stream to type checkers and `redirect_stdout`; it holds nothing.
    def __init__(self, log: IO[str]) -> None:
        super().__init__()
        self.log = log
        self._local = threading.local()
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        buffer = getattr(self._local, "buffer", None)
        if buffer is not None:
            return int(buffer.write(text))
        with self._lock:
            return self.log.write(text)

    def flush(self) -> None:
        with self._lock:
            self.log.flush()

    @contextlib.contextmanager
    def task(self) -> Iterator[list[tuple[int, int]]]:
        """Buffer this thread's output for the block; then append it to the log. Yields a list that
        then holds the (start, end) offsets of the task's part of the log."""
        offsets: list[tuple[int, int]] = []
        self._local.buffer = io.StringIO()
        try:
            yield offsets
        finally:
            text, self._local.buffer = self._local.buffer.getvalue(), None
            with self._lock:
                self.log.flush()
                start = self.log.tell()
                self.log.write(text)
                self.log.flush()
                offsets.append((start, self.log.tell()))
