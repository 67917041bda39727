"""Run records waiting for the metadata store: a run ends without paying for MLflow.

Opening MLflow (its import, the SQLite schema check) and writing a run cost about 0.6 s, as much as
an unchanged re-run's own work. So a finished local run is written, atomically, as one JSON file
under `<metadata_dir>/pending/`, which takes milliseconds; a recorder started in the background
(`python -m mlops_cli.record_runs`) moves it into the store, and every reader of the store
(`mlops runs list`, `runs show`, `lineage`) first records whatever is still pending. Recording is
idempotent: a run already in the store is not written twice (a recorder stopped between writing a
run and removing its file), and a lock keeps two recorders from writing the same run at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from mlops import storage
from mlops.runs import RunRecord

if TYPE_CHECKING:
    from mlops.metadata import MetadataStore

PENDING = "pending"


def add_pending(metadata_dir: str | Path, record: RunRecord) -> Path:
    """Write `record` as waiting for the store; returns its file."""
    path = Path(metadata_dir) / PENDING / f"{record.run_id}.json"
    storage.write_text(str(path), json.dumps(record.to_dict(), sort_keys=True))
    return path


def pending(metadata_dir: str | Path) -> list[Path]:
    """The records still waiting, oldest first."""
    folder = Path(metadata_dir) / PENDING
    return sorted(folder.glob("*.json"), key=lambda path: path.stat().st_mtime) if folder.is_dir() else []


def record_pending(metadata_dir: str | Path, store: MetadataStore | None = None) -> int:
    """Move every waiting record into the metadata store; returns how many were written."""
    if not pending(metadata_dir):
        return 0
    from mlops.metadata import MetadataStore  # MLflow: imported only when there is work

    written = 0
    with _locked(Path(metadata_dir) / PENDING / ".lock"):
        store = store or MetadataStore(metadata_dir)
        for path in pending(metadata_dir):
            record = RunRecord.from_dict(json.loads(path.read_text(encoding="utf-8")))
            if not store.has_run(record.run_id):
                store.record_run(record)
                written += 1
            path.unlink()
    return written


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
