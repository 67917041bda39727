"""`python -m mlops_cli.record_runs METADATA_DIR`: move the run records waiting under METADATA_DIR
into the metadata store (mlops.run_journal). `mlops run` starts it in the background when a run
ends, so the run's own command does not wait for MLflow; its output goes to
`<metadata_dir>/logs/record-runs.log`. Exit code 0, or 1 if the store could not be written (the
records stay waiting: the next reader of the store records them, or says why it cannot)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def start_in_background(metadata_dir: str) -> None:
    """Start the recorder detached (its own session, so it outlives the command), with this process's
    interpreter and import path."""
    log = Path(metadata_dir) / "logs" / "record-runs.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))}
    with log.open("ab") as output:
        subprocess.Popen(  # - our own module, with this interpreter
            [sys.executable, "-m", "mlops_cli.record_runs", metadata_dir],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip


def main(argv: list[str]) -> int:
    from mlops.run_journal import record_pending

    try:
        written = record_pending(argv[0])
    except Exception as error:  # logged for whoever looks; the records stay waiting
        print(f"record-runs: {argv[0]}: {type(error).__name__}: {error}", flush=True)
        return 1
    print(f"record-runs: {argv[0]}: {written} run(s) recorded", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
