"""The base commit on shallow clones, with real git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from delivery.history import HistoryError, ensure_base, git, is_shallow


def commit(repo: Path, name: str) -> str:
    (repo / name).write_text(name)
    git(repo, "add", name)
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", name)
    return git(repo, "rev-parse", "HEAD").stdout.strip()


@pytest.fixture()
def origin(tmp_path: Path) -> tuple[Path, list[str]]:
    repo = tmp_path / "origin"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    return repo, [commit(repo, f"file{i}") for i in range(60)]


def shallow_clone(origin: Path, into: Path) -> Path:
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{origin}", str(into)], check=True)
    assert is_shallow(into)
    return into


def test_a_shallow_clone_is_deepened_until_the_base_is_present(origin, tmp_path: Path) -> None:
    repo, commits = origin
    clone = shallow_clone(repo, tmp_path / "clone")
    said: list[str] = []
    assert ensure_base(clone, commits[0], say=said.append, deepen_steps=(5, 20)) == commits[0]
    # 5, then 20 were not enough for a commit 59 behind: the clone was unshallowed at last.
    fetches = [line.split("fetching ")[1].split(" from")[0] for line in said]
    assert fetches == ["--deepen 5", "--deepen 20", "--unshallow"]


def test_a_near_base_needs_one_small_fetch(origin, tmp_path: Path) -> None:
    repo, commits = origin
    clone = shallow_clone(repo, tmp_path / "clone")
    said: list[str] = []
    ensure_base(clone, commits[-3], say=said.append, deepen_steps=(5, 20))
    assert len(said) == 1 and is_shallow(clone)


def test_a_commit_not_in_the_history_is_refused(origin, tmp_path: Path) -> None:
    repo, _ = origin
    clone = shallow_clone(repo, tmp_path / "clone")
    with pytest.raises(HistoryError, match="not in this repository's history .* force-push"):
        ensure_base(clone, "0" * 40, say=lambda _: None)


def test_a_commit_that_is_not_an_ancestor_is_refused(origin, tmp_path: Path) -> None:
    repo, commits = origin
    git(repo, "checkout", "-q", "-b", "side", commits[10])
    side = commit(repo, "side-file")
    git(repo, "checkout", "-q", "main")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-single-branch", f"file://{repo}", str(clone)], check=True)
    with pytest.raises(HistoryError, match="not an ancestor of HEAD"):
        ensure_base(clone, side, say=lambda _: None)


def test_a_failed_fetch_refuses_rather_than_guessing(origin, tmp_path: Path) -> None:
    repo, commits = origin
    clone = shallow_clone(repo, tmp_path / "clone")
    git(clone, "remote", "set-url", "origin", str(tmp_path / "gone"))
    with pytest.raises(HistoryError, match="(?s)could not deepen the shallow clone .* refusing"):
        ensure_base(clone, commits[0], say=lambda _: None)
