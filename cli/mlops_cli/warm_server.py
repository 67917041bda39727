"""The warm worker: a per-run fork server that has imported the steps' heavy modules once and forks
a fresh child per step, which runs `kfp.dsl.executor_main` as `python -m` would.

Run as `python -m mlops_cli.warm_server SOCKET` by mlops_cli.warm_runner, which sends it one
request per step over the Unix socket: the executor's arguments, the step's environment and
working directory, and (as a passed file descriptor) the pipe the step's stdout and stderr go to.
The server answers `pid N {STATE}` once it has forked, and `exit CODE` (Popen's returncode convention:
negative for a signal) when the child has ended. It exits when its stdin closes (the run ended, or
the CLI died: its running children are then ended too, so none is left behind). The slow imports
(HEAVY) are made by a successor that takes over once they are in (Server), so no request waits.

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
import select
import selectors
import signal
import socket
import struct
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from mlops_cli import warm_child

# Measured with `python -X importtime` on the training pipeline's steps (docs/benchmarks.md), in
# the order the steps need them. BASE: what every step needs, and all that ingest, validate,
# features, champion, register and notify need (~0.4 s); the server serves from the start and
# imports these between requests. HEAVY: train's and evaluate's (~1.5 s), imported by a successor
# while this server goes on serving (Server), so that no request waits for them.
BASE = (
    *("kfp.dsl.executor_main", "numpy", "pandas", "pyarrow", "pyarrow.parquet", "duckdb", "pydantic", "fsspec"),
    *("yaml", "markupsafe", "jinja2"),
)
HEAVY = (
    *("scipy.linalg", "scipy.sparse", "scipy.special", "scipy.optimize", "scipy.spatial", "scipy.stats"),
    *("sklearn.base", "sklearn.utils", "sklearn.preprocessing", "sklearn.linear_model", "sklearn.metrics"),
    *("sklearn.ensemble", "lightgbm", "matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"),
)
END_SECONDS = 5.0  # for the successor to end when told to
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
    """Accepts step requests on `listener` and forks one child per request, until stdin closes.

    Between requests it imports `base`, one module at a time: a request that comes first is forked
    at once, and its step imports what is missing itself. Then it forks a successor, which imports
    `heavy` while this server goes on serving, and takes over accepting requests once they are all
    in (it says so on a pipe, and keeps that pipe open while it lives). Were the successor to die,
    this server accepts again. Each process reaps its own children and answers for them.
    """

    def __init__(self, listener: socket.socket, base: Sequence[str] = BASE, heavy: Sequence[str] = HEAVY) -> None:
        listener.setblocking(False)  # the successor may take a connection this server was woken for
        self.listener = listener
        self.pending = list(base)
        self.heavy = list(heavy)
        self.selector = selectors.DefaultSelector()
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, connection)
        self.accepting = False
        self.successor: tuple[int, int] | None = None  # (pid, read end of its pipe)
        self.predecessor: int | None = None  # in a successor: the write end of that pipe

    def serve(self) -> NoReturn:
        self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "lifeline")
        self._accept_requests(True)
        self._next_stage()
        while True:
            events = self.selector.select(0 if self.pending else None)
            if not events and self.pending:
                preload(self.pending.pop(0))
                if not self.pending:
                    self._next_stage()
            for key, _ in events:
                if key.data == "accept":
                    self._accept()
                elif key.data == "lifeline":
                    if not os.read(sys.stdin.fileno(), 4096):
                        self._end()
                elif key.data == "successor":
                    self._hear_from_successor()
                else:
                    self._reap(key.fd)

    def _next_stage(self) -> None:
        """Once the modules to import are in: a successor takes over, or hands over to the next."""
        if self.pending:
            return
        if self.predecessor is not None:
            os.write(self.predecessor, b"in")
            self._accept_requests(True)
        elif self.heavy and self.successor is None:
            self._start_successor()

    def _start_successor(self) -> None:
        read_end, write_end = os.pipe()
        self._before_fork()
        pid = os.fork()
        if pid == 0:  # the successor: this server's imports, none of its children or connections
            os.close(read_end)
            inherited, self.selector = self.selector, selectors.DefaultSelector()
            inherited.close()
            for pidfd, (_, conn) in self.children.items():
                os.close(pidfd)
                conn.close()
            self.children, self.accepting = {}, False
            self.pending, self.heavy, self.predecessor = self.heavy, [], write_end
            self.selector.register(sys.stdin.fileno(), selectors.EVENT_READ, "lifeline")
            signal.signal(signal.SIGTERM, lambda *_: self._end())  # from the predecessor, ending
            return
        os.close(write_end)
        self.successor = (pid, read_end)
        self.selector.register(read_end, selectors.EVENT_READ, "successor")

    def _hear_from_successor(self) -> None:
        assert self.successor is not None
        pid, read_end = self.successor
        if os.read(read_end, 16):  # it has imported everything: it accepts from now on
            self._accept_requests(False)
            return
        self.selector.unregister(read_end)  # it ended: this server serves again, with what it has
        os.close(read_end)
        os.waitpid(pid, 0)
        self.successor = None
        self._accept_requests(True)

    def _accept_requests(self, on: bool) -> None:
        if on and not self.accepting:
            self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        elif self.accepting and not on:
            self.selector.unregister(self.listener)
        self.accepting = on

    def _before_fork(self) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        # The preloaded modules' objects live as long as the process: kept out of the children's
        # garbage collections, which would otherwise scan them all (time) and touch their pages
        # (copies of pages the children share with the server).
        gc.freeze()

    def _own_fds(self) -> list[int]:
        """This server's file descriptors, which a step it forks must not keep."""
        fds = [self.listener.fileno(), sys.stdin.fileno(), self.selector.fileno()]
        fds += list(self.children)  # pidfds
        fds += [c.fileno() for _, c in self.children.values()]
        fds += [self.successor[1]] if self.successor else []
        fds += [self.predecessor] if self.predecessor is not None else []
        return fds

    def _accept(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except BlockingIOError:  # the other server of the pair took it
            return
        conn.setblocking(True)
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
        self._before_fork()
        pid = os.fork()
        if pid == 0:
            warm_child.run_step(request, out_fd, [*self._own_fds(), conn.fileno()])  # never returns
        os.close(out_fd)  # the child holds it: the client sees EOF when the step's processes end
        # With the state it forked from, for tests and diagnostics: threads, modules still to import
        # (those of the stage after this one included).
        pending = len(self.pending) + len(self.heavy)
        state = {**thread_report(), "pending": pending, "successor": self.predecessor is not None}
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

    def _end(self) -> NoReturn:
        """The run is over (or the CLI died): end the steps still running, the successor, and this
        process, at once (nothing here needs the interpreter's teardown, which the CLI would wait for)."""
        for pid, _ in self.children.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if self.successor is not None:
            pid = self.successor[0]
            with contextlib.suppress(ProcessLookupError):
                ended = os.pidfd_open(pid)
                os.kill(pid, signal.SIGTERM)  # it ends its own steps (its handler), then itself
                if not select.select([ended], [], [], END_SECONDS)[0]:  # stuck in an import's C code
                    os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os._exit(0)


def main(argv: list[str]) -> NoReturn:
    """Listen on the socket path argv[0], say `ready {...}` on stdout, serve until stdin closes.

    argv[1] and argv[2], if given: the base and heavy modules to import, comma-separated.
    """
    # Signals keep a fresh interpreter's handlers, which the children inherit: the CLI starts this
    # server in a session of its own, so Ctrl-C in the terminal reaches only the CLI.
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(argv[0])
    listener.listen(16)
    base = tuple(filter(None, argv[1].split(","))) if len(argv) > 1 else BASE
    heavy = tuple(filter(None, argv[2].split(","))) if len(argv) > 2 else HEAVY
    report = {"pid": os.getpid(), "preload": [*base, *heavy], **thread_report()}
    print("ready", json.dumps(report), flush=True)
    Server(listener, base, heavy).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
