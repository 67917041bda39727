"""Estimator threads follow the CPUs the step was given (cgroup quota, affinity), not a constant."""

from __future__ import annotations

from pathlib import Path

import pytest

from train import cpus
from train.estimators import make_estimator


def _cgroup_v2(root: Path, content: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "cpu.max").write_text(content + "\n")
    return root


def _cgroup_v1(root: Path, quota: int, period: int = 100_000) -> Path:
    (root / "cpu").mkdir(parents=True, exist_ok=True)
    (root / "cpu" / "cpu.cfs_quota_us").write_text(f"{quota}\n")
    (root / "cpu" / "cpu.cfs_period_us").write_text(f"{period}\n")
    return root


@pytest.fixture
def eight_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process allowed on 8 cores, whatever this machine has."""
    monkeypatch.setattr(cpus.os, "sched_getaffinity", lambda pid: set(range(8)))


def test_the_cgroup_quota_caps_the_affinity(tmp_path: Path, eight_cores: None) -> None:
    assert cpus.available_cpus(_cgroup_v2(tmp_path / "v2", "400000 100000")) == 4  # Vertex's cpu: 4
    assert cpus.available_cpus(_cgroup_v2(tmp_path / "half", "50000 100000")) == 1  # 0.5 CPU: at least 1
    assert cpus.available_cpus(_cgroup_v2(tmp_path / "frac", "250000 100000")) == 3  # 2.5 rounds up
    assert cpus.available_cpus(_cgroup_v2(tmp_path / "none", "max 100000")) == 8
    assert cpus.available_cpus(_cgroup_v1(tmp_path / "v1", 200_000)) == 2
    assert cpus.available_cpus(_cgroup_v1(tmp_path / "v1none", -1)) == 8
    assert cpus.available_cpus(tmp_path / "no-cgroup") == 8


def test_a_quota_larger_than_the_affinity_does_not_add_cores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cpus.os, "sched_getaffinity", lambda pid: {0, 1})
    assert cpus.available_cpus(_cgroup_v2(tmp_path, "1600000 100000")) == 2


def test_an_unreadable_quota_falls_back_to_the_affinity(tmp_path: Path, eight_cores: None) -> None:
    assert cpus.available_cpus(_cgroup_v2(tmp_path, "garbage")) == 8


def test_estimators_use_the_cpus_the_step_has(
    tmp_path: Path, eight_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cpus, "CGROUP_ROOT", _cgroup_v2(tmp_path / "four", "400000 100000"))
    assert make_estimator("random_forest", "regression", {}, seed=1).n_jobs == 4
    assert make_estimator("lightgbm", "classification", {}, seed=1).n_jobs == 4
    assert make_estimator("random_forest", "regression", {"n_jobs": 1}, seed=1).n_jobs == 1  # config wins
    monkeypatch.setattr(cpus, "CGROUP_ROOT", _cgroup_v2(tmp_path / "two", "200000 100000"))
    assert make_estimator("random_forest", "classification", {}, seed=1).n_jobs == 2
    # LightGBM's spinning threads: one thread on a 2-CPU step (measured faster, see estimators.py).
    assert make_estimator("lightgbm", "regression", {}, seed=1).n_jobs == 1
