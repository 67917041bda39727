"""Warm workers for the local runner: each step starts as a fork of a server that has already
imported kfp, pandas, scikit-learn, ... (mlops_cli.warm_server) instead of a new interpreter.

kfp.local runs a lightweight component as `sh -ec PROGRAM SOURCE ARGS...`, where PROGRAM writes
SOURCE to `$(mktemp -d)/ephemeral_component.py` and runs `python -m kfp.dsl.executor_main
--component_module_path THAT_FILE ARGS...`. A command of exactly that form (PROGRAM compared with
the one kfp would generate, sdk_internals.executor_program) is run here by the same executor code
with the same arguments, environment (plus `_KFP_RUNTIME=true`, as PROGRAM sets) and working
directory; its output streams back over a pipe and is printed as kfp.local prints a subprocess's.
Anything else (a component that pip-installs packages first, a step whose environment changes
what the server's imports read) returns None: the caller starts it as a plain subprocess.
"""

from __future__ import annotations

import contextlib
import io
import json
import locale
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_cli.warm_server import HEADER

READY_SECONDS = 120.0  # the server's imports; slow disks and cold caches take a while
CLOSE_SECONDS = 10.0  # for the server to end once told to: one import, at most
# Read by the preloaded modules when they are imported (in the server, not in the step): a step
# whose environment differs in one of them would not see its setting.
IMPORT_TIME_VARIABLES = ("PYTHON", "MPL", "OMP_", "OPENBLAS_", "MKL_", "GOTO", "ARROW_", "JE_", "LD_", "MALLOC")


@dataclass(frozen=True, eq=False)  # one step is one process: compared by identity, as Popen
class StepProcess:
    """A forked step, as mlops_cli.stopping sees a step: its pid leads its process group."""

    pid: int
    forked_from: dict[str, Any]  # the server when it forked: its threads, modules still to import


class WarmWorkers:
    """The run's fork server: started by `start`, used by `run` for every step, ended by `close`.

    `program`: what kfp would run in `sh -ec` (default: sdk_internals.executor_program, asked for
    at the first step, so that the server can start before the CLI has imported kfp's DSL).
    """

    def __init__(
        self,
        program: str | None,
        warn: Callable[[str], None],
        preload: tuple[Sequence[str], Sequence[str]] | None = None,
    ) -> None:
        self._program = program
        self.warn = warn
        self.preload = preload  # the server's (base, heavy) modules to import; default its own
        self.folder = Path(tempfile.mkdtemp(prefix="mlops-warm-"))
        self.socket_path = str(self.folder / "socket")
        self.server: subprocess.Popen[str] | None = None
        self.ready: dict[str, Any] | None = None
        self.failed = False
        self.env = dict(os.environ)
        # kfp.local runs a ParallelFor's iterations on two threads: both may wait for the server.
        self._ready_lock = threading.Lock()

    @property
    def program(self) -> str:
        if self._program is None:
            from mlops_cli.sdk_internals import executor_program

            self._program = executor_program()
        return self._program

    def start(self) -> WarmWorkers:
        """Start the server; its imports run while the caller goes on (`run` waits for them)."""
        with (self.folder / "server.log").open("w") as log:
            self.server = subprocess.Popen(
                [sys.executable, "-m", "mlops_cli.warm_server", self.socket_path, *map(",".join, self.preload or ())],
                stdin=subprocess.PIPE,  # its lifeline: the server exits when this closes
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                # As PROGRAM runs the executor: with _KFP_RUNTIME set, `import kfp` skips the
                # compile-time SDK (its client, Kubernetes, the DSL decorators), which a step never sees.
                env={**self.env, "_KFP_RUNTIME": "true"},
                start_new_session=True,  # Ctrl-C reaches the CLI, which stops the steps, then this
            )
        return self

    def close(self) -> None:
        """Stop the server (and any step still running in it); remove its socket."""
        if self.server is not None:
            with contextlib.suppress(OSError):
                self.server.stdin.close()  # type: ignore[union-attr]
            # No step runs by now (the run ended, or the stopper ended the step). The server ends
            # its successor and itself as soon as it sees stdin close (it may be in an import);
            # a server that does not is killed.
            try:
                self.server.wait(timeout=CLOSE_SECONDS)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
            self.server.stdout.close()  # type: ignore[union-attr]
        for path in self.folder.iterdir():
            path.unlink()
        self.folder.rmdir()

    def wait_ready(self) -> bool:
        """Whether the server is up; the first time it is not, warns once and falls back for good."""
        with self._ready_lock:
            return self._wait_ready()

    def _wait_ready(self) -> bool:
        if self.ready is not None or self.failed:
            return not self.failed
        assert self.server is not None and self.server.stdout is not None
        up, _, _ = select.select([self.server.stdout], [], [], READY_SECONDS)
        line = self.server.stdout.readline() if up else ""
        if line.startswith("ready "):
            self.ready = json.loads(line.split(" ", 1)[1])
            return True
        self.failed = True
        self.server.poll()
        log = (self.folder / "server.log").read_text().strip().splitlines()
        reason = log[-1] if log else f"no answer in {READY_SECONDS:.0f} s, exit code {self.server.returncode}"
        self.warn(f"warm workers did not start ({reason}); steps start as plain subprocesses")
        return False

    def eligible(self, command: list[str], env: Mapping[str, str]) -> bool:
        """Whether the warm worker runs `command` exactly as kfp.local's subprocess would."""
        if command[:3] != ["sh", "-ec", self.program] or len(command) < 4:
            return False
        changed = {key for key in {*env, *self.env} if env.get(key) != self.env.get(key)}
        return not any(key.startswith(IMPORT_TIME_VARIABLES) for key in changed)

    def run(
        self,
        command: list[str],
        env: Mapping[str, str],
        started: Callable[[Any], None],
        ended: Callable[[Any], None],
    ) -> int | None:
        """Run one step; its exit code, or None if it must start as a plain subprocess instead."""
        if not self.eligible(command, env) or not self.wait_ready():
            return None
        source, args = command[3], command[4:]
        with tempfile.TemporaryDirectory(prefix="mlops-step-") as folder:
            module = Path(folder) / "ephemeral_component.py"
            module.write_text(source, encoding="utf-8")  # as PROGRAM's `printf "%s" "$0"`
            request = {
                "argv": ["--component_module_path", str(module), *args],
                "env": {**env, "_KFP_RUNTIME": "true"},
                "cwd": os.getcwd(),
            }
            return self._run(request, started, ended)

    def _run(
        self, request: dict[str, Any], started: Callable[[Any], None], ended: Callable[[Any], None]
    ) -> int | None:
        read_end, write_end = os.pipe()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn, open(read_end, "rb") as output:
            try:
                conn.connect(self.socket_path)
                payload = json.dumps(request).encode()
                socket.send_fds(conn, [HEADER.pack(len(payload))], [write_end])
                conn.sendall(payload)
                answers = conn.makefile("r", encoding="utf-8")
                first = answers.readline()
            except OSError as error:
                first = f"error {error}"
            finally:
                os.close(write_end)
            if not first.startswith("pid "):  # the step has not started: the rest of the run does without
                self.failed = True
                self.warn(f"warm worker unusable ({first.strip() or 'no answer'}); steps start as plain subprocesses")
                return None
            _, pid, state = first.split(" ", 2)
            step = StepProcess(int(pid), json.loads(state))
            started(step)
            try:
                # As subprocess.Popen(text=True) decodes a step's output in kfp.local.
                text = io.TextIOWrapper(output, encoding=locale.getpreferredencoding(False))
                for line in iter(text.readline, ""):
                    print(line, end="")
                print("\n")
                last = answers.readline()
            finally:
                ended(step)
        if not last.startswith("exit "):  # the server died under the step
            print("mlops: the warm worker ended before the step did")
            return 1
        return int(last.split()[1])


@contextlib.contextmanager
def warm_workers(enabled: bool, warn: Callable[[str], None]) -> Iterator[WarmWorkers | None]:
    """A fork server, started now and ended on leaving (also when the run is cancelled), if
    `enabled`; else None. Start it as early as the command knows it will run steps locally: its
    imports (1-2 s) run on another core while the CLI imports, reads the config and checks it."""
    if not enabled:
        yield None
        return
    workers = WarmWorkers(None, warn).start()
    try:
        yield workers
    finally:
        workers.close()
