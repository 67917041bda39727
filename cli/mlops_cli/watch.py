"""`mlops watch --source DIR --config TRAINING_CONFIG [--interval 30] [--once]`: retrain when data lands.

Each poll lists DIR's data files (`*.csv`, `*.parquet`) and partitions (subfolders holding such
files). One not trained on before, or changed since (path, size and modification time differ), is
first only noted; it is trained on at a later poll that finds it unchanged, so a file still being
copied is never read half-written. Training runs with `source_uri` set to the file or partition,
then a version that wins the champion/challenger gate is deployed as a canary (mlops_cli.retrain).

What was seen is kept in `<metadata_dir>/watch/<DIR's hash>.json`, written atomically, so a
restart (or `--once` from cron) carries on where the last poll stopped. A failed run marks its
file as seen too: it is tried again once the file changes, not at every poll. Names starting with
`.` or `_` are skipped (copy tools' temporary files). Ctrl-C stops the watch between polls; during
a run it cancels the run (recorded as CANCELLED), whose file is then trained on at the next start.

Exit codes: 0 (with --once: every run succeeded, or nothing was ready), 1 a run failed (--once),
2 bad input.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.config import Settings
from mlops_cli import retrain
from mlops_cli.errors import UsageError

COMMAND = "watch"
DATA_SUFFIXES = (".csv", ".parquet")


def add_parser(commands: Any) -> None:
    """Add `watch` to the CLI's subcommands."""
    parser = commands.add_parser(COMMAND, help="train on new data files or partitions as they land in a folder")
    parser.add_argument("--source", required=True, metavar="DIR", help="the folder new data lands in")
    parser.add_argument("--config", required=True, help="the training pipeline config")
    parser.add_argument("--interval", type=float, default=30.0, help="seconds between polls (default 30)")
    parser.add_argument("--once", action="store_true", help="poll once and exit (tests, cron)")
    retrain.add_arguments(parser)


def watch(args: argparse.Namespace, settings: Settings) -> int:
    """Poll until Ctrl-C (or once); an exit code."""
    source = Path(args.source)
    if not source.is_dir():
        raise UsageError(f"--source {args.source}: no such folder")
    if args.interval <= 0:
        raise UsageError(f"--interval {args.interval:g}: give a number of seconds above 0")
    pipeline = retrain.training_pipeline(args.config, args)
    state = State(settings, source.resolve())
    try:
        while True:
            failed = poll(source.resolve(), state, lambda path: retrain.retrain(settings, pipeline, args, source=path))
            if args.once:
                return retrain.EXIT_RUN_FAILED if failed else 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        print("watch: stopped", file=sys.stderr)
        return 0


def poll(source: Path, state: State, train: Callable[[str], int]) -> bool:
    """One poll: note new or changed data, train on what has held still since; whether a run failed."""
    found: dict[str, str] = {}
    for candidate in candidates(source):
        with contextlib.suppress(FileNotFoundError):  # removed while listing: not in this poll
            found[str(candidate)] = fingerprint(candidate)
    ready = [p for p, mark in found.items() if state.seen.get(p) != mark and state.pending.get(p) == mark]
    for path, mark in found.items():
        if state.seen.get(path) != mark and state.pending.get(path) != mark:
            print(f"new or changing: {path} ({mark.split(':')[0]} bytes); trained at the next poll if unchanged")
    state.pending = {p: mark for p, mark in found.items() if state.seen.get(p) != mark and p not in ready}
    state.save()
    if not ready:
        print(f"watch {source}: nothing ready to train on", flush=True)
    failed = False
    for path in ready:
        code = train(path)
        failed = failed or code == retrain.EXIT_RUN_FAILED
        state.seen[path] = found[path]  # also after a failure: tried again only once the file changes
        state.save()
    return failed


def candidates(source: Path) -> list[Path]:
    """DIR's data files and partitions (subfolders with data files), by name."""
    found = []
    for path in sorted(source.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.is_file() and path.suffix.lower() in DATA_SUFFIXES or path.is_dir() and _data_files(path):
            found.append(path)
    return found


def fingerprint(path: Path) -> str:
    """`size:mtime_ns` of a file; of a partition, its data files' total size and newest time, and count."""
    files = _data_files(path) if path.is_dir() else [path]
    stats = [file.stat() for file in files]
    return f"{sum(s.st_size for s in stats)}:{max(s.st_mtime_ns for s in stats)}:{len(stats)}"


def _data_files(folder: Path) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in DATA_SUFFIXES and not path.name.startswith((".", "_"))
    ]


class State:
    """What a watch of one folder has seen (trained on) and noted (pending), by path -> fingerprint."""

    def __init__(self, settings: Settings, source: Path) -> None:
        key = hashlib.sha256(str(source).encode()).hexdigest()[:16]
        self.uri = storage.join(settings.metadata_dir, "watch", f"{key}.json")
        self.source = str(source)
        data: dict[str, Any] = {}
        if storage.exists(self.uri):
            try:
                data = json.loads(storage.read_text(self.uri))
            except json.JSONDecodeError as error:
                raise UsageError(f"{self.uri}: the watch state is not valid JSON ({error}); remove it") from None
        self.seen: dict[str, str] = dict(data.get("seen", {}))
        self.pending: dict[str, str] = dict(data.get("pending", {}))

    def save(self) -> None:
        """Write the state atomically (mlops.storage: a temporary file renamed into place)."""
        data = {"source": self.source, "seen": self.seen, "pending": self.pending}
        storage.write_text(self.uri, json.dumps(data, indent=2, sort_keys=True) + "\n")
