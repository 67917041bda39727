"""Synthetic churn splits (mlops.sample_data) shared by the tests: clean, and with bad rows.

Loaded with `pytest_plugins` rather than from a conftest.py, which would clash under mypy with the
other components' conftest modules.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlops.sample_data import SampleSpec, write


def sample(path: Path, rows: int, seed: int, *, bad: float = 0.0, drift: float = 0.0) -> str:
    """Write `rows` churn rows to `path` (.parquet or .csv) and return the path as a string."""
    write(SampleSpec(problem="churn", rows=rows, seed=seed, bad_row_fraction=bad, drift=drift), path)
    return str(path)


SampleWriter = Callable[..., str]


@pytest.fixture(scope="session")
def write_sample() -> SampleWriter:
    """`write_sample(path, rows, seed, bad=0.0, drift=0.0)`: write churn rows, return the path."""
    return sample


@pytest.fixture(scope="session")
def clean_splits(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("clean")
    return {
        "train": sample(folder / "train.parquet", 4000, seed=1),
        "valid": sample(folder / "valid.parquet", 500, seed=2),
        "test": sample(folder / "test.parquet", 500, seed=3),
    }


@pytest.fixture(scope="session")
def bad_split(tmp_path_factory: pytest.TempPathFactory) -> str:
    """1000 rows, 5% bad: nulls and negatives in tenure_months, 'UNKNOWN' in contract_type."""
    return sample(tmp_path_factory.mktemp("bad") / "test.parquet", 1000, seed=4, bad=0.05)
