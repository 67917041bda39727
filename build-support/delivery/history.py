"""The git history a selection needs: the last deployed commit, present and an ancestor of HEAD.

Cloud Build checks a repository out shallow (one commit). There, Pants' `--changed-since` either
fails with "no merge base" or, worse, diffs against whatever commit happens to be the oldest present,
selecting the wrong images without a word. So before any selection, the clone is deepened until
the recorded commit is in it, and the selection is refused unless that commit is proved to be an
ancestor of the commit being built.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

Say = Callable[[str], None]


class HistoryError(Exception):
    """The selection cannot be proved from this clone's history. The message says what to do."""


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise HistoryError(f"git {' '.join(args)} failed in {repo}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def has_commit(repo: Path, commit: str) -> bool:
    return git(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode == 0


def is_shallow(repo: Path) -> bool:
    return git(repo, "rev-parse", "--is-shallow-repository").stdout.strip() == "true"


def ensure_base(repo: Path, base: str, head: str = "HEAD", say: Say = print, remote: str = "origin",
                deepen_steps: tuple[int, ...] = (50, 200, 1000)) -> str:  # fmt: skip
    """Make `base` present in `repo` and prove it is an ancestor of `head`; return its full id.

    A shallow clone is deepened in growing steps, then unshallowed; a commit still missing after
    that, or one that is not an ancestor (history rewritten by a force-push), is refused: a
    selection against it could not be trusted.
    """
    for step in (*deepen_steps, 0):
        if has_commit(repo, base):
            break
        if not is_shallow(repo):
            raise HistoryError(
                f"the last deployed commit {base} is not in this repository's history (not shallow, so "
                "deepening cannot help); it was probably rewritten by a force-push. Delete the deploy "
                "record to rebuild everything, or write the record of a commit that is on this branch."
            )
        how = ["--deepen", str(step)] if step else ["--unshallow"]
        say(f"history: {base[:12]} is not in this shallow clone; fetching {' '.join(how)} from {remote}")
        fetched = git(repo, "fetch", "--quiet", "--no-tags", *how, remote, check=False)
        if fetched.returncode != 0:
            raise HistoryError(
                f"could not deepen the shallow clone to reach the last deployed commit {base} "
                f"(git fetch {' '.join(how)} {remote}: {fetched.stderr.strip()}); refusing to select "
                "changes against an unknown base"
            )
    if not has_commit(repo, base):
        raise HistoryError(f"the last deployed commit {base} is not in {remote}'s history even after unshallowing")
    full = git(repo, "rev-parse", f"{base}^{{commit}}").stdout.strip()
    if git(repo, "merge-base", "--is-ancestor", full, head, check=False).returncode != 0:
        raise HistoryError(
            f"the last deployed commit {full[:12]} is not an ancestor of {head}: the changes between them "
            "cannot be told apart. Delete the deploy record to rebuild everything."
        )
    return full
