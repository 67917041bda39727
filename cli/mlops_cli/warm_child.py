"""The forked child of the warm worker (mlops_cli.warm_server): turns the copy of the server into
what `python -m kfp.dsl.executor_main ARGS` would be, runs it, and exits as that process would.

What a fresh interpreter would do differently, and what is done about it:
- stdio: new stdout/stderr objects on the step's output pipe (stdout block-buffered, stderr
  line-buffered, as for a pipe), stdin from /dev/null; nothing of the server's buffers is kept.
- environment, working directory, sys.argv and sys.path[0]: those of the step, set before its code runs.
- random state: Python's `random` reseeds itself in a forked child; numpy's global generator,
  seeded when the server imported numpy, is reseeded here, or every step of a run would draw the
  same "random" numbers.
- exit: uncaught exceptions print their traceback and exit 1, SystemExit exits with its code,
  KeyboardInterrupt ends the process by SIGINT; then non-daemon threads are joined and atexit
  handlers run (as at interpreter exit), stdio is flushed and the process ends with os._exit, so
  that nothing of the server's (its sockets, its own exit path) runs in the child.
- not reproducible: the str hash seed (set at interpreter start) is the server's, shared by every
  step of a run; only code that depends on set order of strings could tell.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import runpy
import signal
import sys
import threading
import traceback
from typing import Any, NoReturn

EXECUTOR_MODULE = "kfp.dsl.executor_main"


def run_step(request: dict[str, Any], out_fd: int, server_fds: list[int]) -> NoReturn:
    """Run the step `request` describes in this (just forked) process; never returns."""
    code = 1
    try:
        os.setsid()  # the step's own process group, which mlops_cli.stopping ends with its children
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a successor server's handler (warm_server.Server)
        for fd in server_fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        _stdio(out_fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.path[0] = request["cwd"]  # `python -m` puts the working directory first
        sys.argv = ["-m", *request["argv"]]  # runpy sets argv[0] to the module's file, as -m does
        _reseed_numpy()
        code = _run_executor()
    except BaseException:  # the child must never return into the server's loop
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    _exit(code)


def _stdio(out_fd: int) -> None:
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)
    null = os.open(os.devnull, os.O_RDONLY)  # fd 0 itself when the server's stdin is closed already
    if null != 0:
        os.dup2(null, 0)
        os.close(null)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's stdin, open until it exits
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
    # The originals too, as a fresh interpreter has them (faulthandler, code that restores them).
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr  # type: ignore[misc]


def _reseed_numpy() -> None:
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def _run_executor() -> int:
    """Run the executor as __main__; the exit code the interpreter would end with."""
    # `python -m` runs the module's code once, as __main__; the server's copy (imported for its
    # imports) would make runpy warn that the module is already loaded.
    sys.modules.pop(EXECUTOR_MODULE, None)
    try:
        runpy.run_module(EXECUTOR_MODULE, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        return _system_exit_code(exit_)
    except KeyboardInterrupt:
        traceback.print_exc()
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


def _system_exit_code(exit_: SystemExit) -> int:
    if exit_.code is None:
        return 0
    if isinstance(exit_.code, int):
        return exit_.code & 0xFF
    print(exit_.code, file=sys.stderr)  # `sys.exit("message")` prints the message and exits 1
    return 1


def _exit(code: int) -> NoReturn:
    with contextlib.suppress(BaseException):
        threading._shutdown()  # type: ignore[attr-defined]  # wait for non-daemon threads, as at exit
    with contextlib.suppress(BaseException):
        atexit._run_exitfuncs()
    _flush()
    os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):
            stream.flush()
