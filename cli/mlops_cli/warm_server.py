"""The warm worker: a per-run fork server that has imported the steps' heavy modules once and forks
a fresh child per step, which runs `kfp.dsl.executor_main` as `python -m` would.

Run as `python -m mlops_cli.warm_server SOCKET` by mlops_cli.warm_runner, which sends it one
request per step over the Unix socket: the executor's arguments, the step's environment and
working directory, and (as a passed file descriptor) the pipe the step's stdout and stderr go to.
The server answers `pid N {STATE}` once it has forked, and `exit CODE` (Popen's returncode convention:
negative for a signal) when the child has ended. It exits when its stdin closes (the run ended, or
the CLI died: its running children are then ended too, so none is left behind).

What is imported before forking, and why (docs/running-pipelines.md, "Warm workers"): only modules
whose import starts no OpenMP team, opens no connection, file handle or socket, and starts no
Python thread, since a child inherits the memory but not the threads of its parent:
- kfp's executor (the runtime SDK: the server runs with `_KFP_RUNTIME=true`, as a step does),
  numpy, pandas, pyarrow (+ parquet), DuckDB (the module; a connection is never opened here),
  pydantic, fsspec, PyYAML, Jinja2, scipy, scikit-learn, LightGBM, and matplotlib's Figure and Agg
  canvas (no pyplot: no backend is chosen here, the step chooses as a fresh interpreter would).
- numpy's and scipy's OpenBLAS and pyarrow's jemalloc start native threads at import; both
  libraries register fork handlers (OpenBLAS stops its pool before a fork and restarts it lazily;
  jemalloc resets its locks and background thread in the child), so these are safe to fork.
- scikit-learn's and LightGBM's OpenMP (libgomp) is loaded but never used here: a libgomp thread
  team that existed before a fork hangs the child's first parallel region.
- never: google-cloud, gRPC (not fork-safe once a channel exists), MLflow, SQLite or DuckDB
  connections, the project's own packages (they may open stores at import).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import struct
import sys
import threading

from mlops_cli import warm_child

# Measured with `python -X importtime` on the training pipeline's steps (docs/benchmarks.md), in
# the order the steps need them: the first step forks as soon as its own modules are in.
PRELOAD = (
    # ingest, validate, features
    *("kfp.dsl.executor_main", "numpy", "pandas", "pyarrow", "pyarrow.parquet", "duckdb", "pydantic", "fsspec"),
    *("yaml", "markupsafe", "jinja2"),
    # train, evaluate: scipy and scikit-learn in parts, since a step's request waits for the import
    # in progress (scipy.stats alone takes ~0.5 s)
    *("scipy.linalg", "scipy.sparse", "scipy.special", "scipy.optimize", "scipy.spatial", "scipy.stats"),
    *("sklearn.base", "sklearn.utils", "sklearn.preprocessing", "sklearn.linear_model", "sklearn.metrics"),
    *("sklearn.ensemble", "lightgbm", "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"),
)
HEADER = struct.Struct("!Q")  # the request's JSON length; the output pipe travels with it


def preload(name: str) -> bool:
    """Import module `name`; False if it is not installed or fails to import (a step that needs it
    then imports it itself, and meets the error where a new interpreter would)."""
    try:
        importlib.import_module(name)
    except Exception:
        return False
    return True


def thread_report() -> dict[str, int]:
    """Python threads and OS threads of this process (Linux /proc), as checked before every fork."""
    return {"python_threads": threading.active_count(), "os_threads": len(os.listdir("/proc/self/task"))}


def _read_request(conn: socket.socket) -> tuple[dict, int]:
    data, fds, _flags, _addr = socket.recv_fds(conn, HEADER.size, 1)
    while len(data) < HEADER.size:
        more = conn.recv(HEADER.size - len(data))
        if not more:
            raise ConnectionError("request cut short")
        data += more
    if len(fds) != 1:
        raise ConnectionError("request without an output pipe")
    (length,) = HEADER.unpack(data)
    payload = bytearray()
    while len(payload) < length:
        chunk = conn.recv(min(1 << 20, length - len(payload)))
        if not chunk:
            raise ConnectionError("request cut short")
        payload += chunk
    return json.loads(payload), fds[0]


class Server:
    """Accepts step requests on `listener`; forks one child per request; exits when stdin closes.
    Between requests, imports the modules of `preloads` one at a time: a step that comes before
    they are all in is forked at once and imports the rest itself."""

    def __init__(self, listener: socket.socket, preloads: tuple[str, ...] = PRELOAD) -> None:
        self.listener = listener
        self.pending = list(preloads)
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)

    def serve(self) -> None:
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "lifeline")
        while True:
            events = self.selector.select(0 if self.pending else None)
            if not events and self.pending:
                preload(self.pending.pop(0))
            for key, _ in events:
                if key.data == "accept":
                    self._accept()
                elif key.data == "lifeline":
                    if not os.read(sys.stdin.fileno(), 4096):
                        self._end_children()
                        return
                else:
                    self._reap(key.fd)

    def _accept(self) -> None:
        conn, _ = self.listener.accept()
        try:
            request, out_fd = _read_request(conn)
        except (OSError, ValueError) as error:
            with contextlib.suppress(OSError):
                conn.sendall(f"error {error}\n".encode())
            conn.close()
            return
        threads = thread_report()["python_threads"]
        if threads != 1:  # a Python thread would not exist in the child: refuse rather than fork
            conn.sendall(f"error the warm worker has {threads} Python threads\n".encode())
            conn.close()
            os.close(out_fd)
            return
        sys.stdout.flush()
        sys.stderr.flush()
        # The preloaded modules' objects live as long as the process: kept out of the children's
        # garbage collections, which would otherwise scan them all (time) and touch their pages
        # (copies of pages the children share with the server).
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            server_fds = [self.listener.fileno(), sys.stdin.fileno(), conn.fileno(), self.selector.fileno()]
            server_fds += list(self.children)  # pidfds
            server_fds += [c.fileno() for _, c in self.children.values()]
            warm_child.run_step(request, out_fd, server_fds)  # never returns
        os.close(out_fd)  # the child holds it: the client sees EOF when the step's processes end
        # With the state it forked from, for tests and diagnostics: threads, modules still to import.
        state = {**thread_report(), "pending": len(self.pending)}
        conn.sendall(f"pid {pid} {json.dumps(state)}\n".encode())
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, "child")

    def _reap(self, pidfd: int) -> None:
        pid, conn = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        with contextlib.suppress(OSError):  # the client may have gone (the run was stopped)
            conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
        conn.close()

    def _end_children(self) -> None:
        for pid, _ in self.children.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def main(argv: list[str]) -> int:
    """Listen on the socket path argv[0], say `ready {...}` on stdout, serve until stdin closes."""
    # Signals keep a fresh interpreter's handlers, which the children inherit: the CLI starts this
    # server in a session of its own, so Ctrl-C in the terminal reaches only the CLI.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(argv[0])
    listener.listen(16)
    report = {"pid": os.getpid(), "preload": PRELOAD, **thread_report()}
    print("ready", json.dumps(report), flush=True)
    Server(listener).serve()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
