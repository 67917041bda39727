"""The `mlops` program ends without tearing the interpreter down (mlops_cli.main.console): what it
printed still arrives whole, through a pipe, and its exit code is main's.

Each command runs as the program does: a new interpreter, `python -m mlops_cli.main`, stdout a pipe
(block-buffered: what is not flushed before the process ends is lost).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

LOCAL_ENV = Path("config/local.yaml").resolve()  # its stores are relative: under the working directory


def _mlops(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(os.path.abspath(path) for path in sys.path)}
    command = [sys.executable, "-m", "mlops_cli.main", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_what_a_command_printed_arrives_and_the_exit_code_is_mains(tmp_path: Path) -> None:
    # Through a pipe, print() only fills a buffer: without the flush at exit, stdout would be empty.
    listed = _mlops(tmp_path, "--env", str(LOCAL_ENV), "runs", "list")
    assert (listed.returncode, listed.stdout) == (0, "no runs yet: start one with `mlops run`\n")

    missing = _mlops(tmp_path, "--env", str(tmp_path / "no-such.yaml"), "runs", "list")
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert missing.stderr.startswith(f"mlops: error: {tmp_path / 'no-such.yaml'}")
