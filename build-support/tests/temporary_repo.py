"""A throwaway git repository holding a copy of this repository's tracked files, for tests that drive
Pants itself (they cannot run inside a Pants test sandbox)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


def copy_of_repo(prefix: str) -> Path:
    """A new git repository with one commit: every file this repository tracks, as in the work tree."""
    copy = Path(tempfile.mkdtemp(prefix=prefix))
    for relative in git(REPO, "ls-files", "-z").split("\0"):
        if relative and (REPO / relative).is_file():
            (copy / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / relative, copy / relative)
    if (REPO / ".pants.rc").is_file():  # this machine's build settings (the offline base image)
        shutil.copy2(REPO / ".pants.rc", copy / ".pants.rc")
    git(copy, "init", "-q", "-b", "main")
    git(copy, "add", "-A")
    commit(copy, "base")
    return copy


def commit(repo: Path, message: str) -> None:
    git(repo, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "-qm", message)


def remove(repo: Path) -> None:
    """Stop the copy's pantsd (it keeps scenarios after the first fast) and delete the copy."""
    for pid_file in repo.glob(".pids/*/pantsd/pid"):
        with contextlib.suppress(ValueError, OSError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    shutil.rmtree(repo, ignore_errors=True)
