"""A model registry in a folder (local path, or a URI such as gs://), with Vertex AI's semantics.

Layout under `root`:

    <model>/registry.json                  {"versions": ["1", "2"], "aliases": {"default": "2"}, ...}
    <model>/versions/<n>/version.json      labels, metrics, description, evaluation, created_at
    <model>/versions/<n>/bundle/...        the copy of the model bundle
    <model>/.lock                          local only: serialises registrations (fcntl.flock)

A version exists when `registry.json` lists it; that file is only ever replaced atomically, so
readers see a version complete or not at all. On a local disk, the bundle is first copied into a
hidden `<model>/.staging-<uuid>` folder, and then, under an exclusive lock on `<model>/.lock`,
numbered, renamed to `versions/<n>` and listed: two concurrent registrations get distinct numbers,
and a crash at any point leaves no visible version (a staging folder or an unlisted version
folder at worst; numbering skips those). On object stores there is no lock: one writer per model
at a time (the pipeline) is assumed, and visibility still hinges on the atomic `registry.json`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.registry.base import (
    DEFAULT_ALIAS,
    ModelVersion,
    RegistryError,
    check_alias,
    check_aliases,
    check_labels,
    check_metrics,
    check_model_name,
)

STATE_FILE, VERSION_FILE, BUNDLE_FOLDER, LOCK_FILE = "registry.json", "version.json", "bundle", ".lock"


class LocalModelRegistry:
    """The registry stored under `root` (a local folder or a URI)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = str(root)
        self.local = storage.is_local(self.root)
        if self.local:
            self.root = os.path.abspath(storage.filesystem(self.root)[1])

    def __repr__(self) -> str:
        return f"LocalModelRegistry({self.root!r})"

    def register(
        self,
        model_name: str,
        bundle_uri: str,
        *,
        metrics: Mapping[str, float],
        labels: Mapping[str, str] | None = None,
        aliases: Sequence[str] = (),
        make_default: bool = True,
        description: str = "",
        evaluation: Mapping[str, Any] | None = None,
    ) -> ModelVersion:
        """Copy the bundle at `bundle_uri` into the registry as the next version of `model_name`.

        `aliases` (plus `default` when make_default, and always for a model's first version) move to
        the new version. Raises RegistryError for invalid names, labels, aliases or metrics, or a
        bundle that cannot be copied; nothing is registered then.
        """
        record = {
            "model_name": check_model_name(model_name),
            "labels": check_labels(labels),
            "metrics": check_metrics(metrics),
            "description": str(description or ""),
            "evaluation": dict(evaluation) if evaluation is not None else None,
        }
        wanted = check_aliases(aliases, make_default)
        model_dir = self._model_dir(model_name)
        if not self.local:
            return self._register_remote(model_dir, bundle_uri, record, wanted)
        staging = os.path.join(model_dir, f".staging-{uuid.uuid4().hex}")
        try:
            _copy_tree(bundle_uri, os.path.join(staging, BUNDLE_FOLDER))
            with self._locked(model_dir):
                state = self._state(model_name)
                version = self._next_version(model_dir, state)
                record.update(version=version, created_at=_now())
                storage.write_text(os.path.join(staging, VERSION_FILE), json.dumps(record, indent=2) + "\n")
                os.makedirs(os.path.join(model_dir, "versions"), exist_ok=True)
                os.rename(staging, os.path.join(model_dir, "versions", version))
                self._publish(model_dir, state, version, wanted)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return self.get_version(model_name, version)

    def get(self, model_name: str, alias: str = DEFAULT_ALIAS) -> ModelVersion | None:
        """The version holding `alias`, or None when the model or the alias does not exist."""
        version = self._state(check_model_name(model_name))["aliases"].get(alias)
        return None if version is None else self.get_version(model_name, version)

    def get_version(self, model_name: str, version: str) -> ModelVersion:
        """Version `version` of `model_name`; RegistryError if it is not registered."""
        state = self._state(check_model_name(model_name))
        version = str(version)
        if version not in state["versions"]:
            known = ", ".join(state["versions"]) or "none"
            raise RegistryError(f"{self.root}: model {model_name!r} has no version {version!r} (versions: {known})")
        folder = storage.join(self._model_dir(model_name), "versions", version)
        record = json.loads(storage.read_text(storage.join(folder, VERSION_FILE)))
        return ModelVersion(
            model_name=model_name,
            version=version,
            aliases=sorted(alias for alias, target in state["aliases"].items() if target == version),
            labels=record["labels"],
            metrics=record["metrics"],
            bundle_uri=storage.join(folder, BUNDLE_FOLDER),
            created_at=record["created_at"],
            description=record.get("description", ""),
            evaluation=record.get("evaluation"),
        )

    def list_versions(self, model_name: str) -> list[ModelVersion]:
        """Every version of `model_name`, oldest first; empty if the model was never registered."""
        return [self.get_version(model_name, v) for v in self._state(check_model_name(model_name))["versions"]]

    def set_alias(self, model_name: str, version: str, alias: str) -> ModelVersion:
        """Point `alias` at `version`, taking it from whichever version held it."""
        check_alias(alias)
        model_dir = self._model_dir(check_model_name(model_name))
        with self._locked(model_dir):
            state = self._state(model_name)
            if str(version) not in state["versions"]:
                raise RegistryError(f"{self.root}: model {model_name!r} has no version {version!r}")
            state["aliases"][alias] = str(version)
            self._write_state(model_dir, state)
        return self.get_version(model_name, str(version))

    # Internals.
    def _model_dir(self, model_name: str) -> str:
        return storage.join(self.root, model_name)

    def _state(self, model_name: str) -> dict[str, Any]:
        path = storage.join(self._model_dir(model_name), STATE_FILE)
        if not storage.exists(path):
            return {"model_name": model_name, "versions": [], "aliases": {}}
        try:
            return json.loads(storage.read_text(path))
        except ValueError as error:
            raise RegistryError(f"{path}: registry state is not valid JSON: {error}") from None

    def _write_state(self, model_dir: str, state: dict[str, Any]) -> None:
        state["updated_at"] = _now()
        storage.write_text(storage.join(model_dir, STATE_FILE), json.dumps(state, indent=2) + "\n")

    def _next_version(self, model_dir: str, state: dict[str, Any]) -> str:
        """One past the highest version listed or present on disk (a crash may leave one unlisted)."""
        on_disk = []
        versions_dir = storage.join(model_dir, "versions")
        if storage.exists(versions_dir):
            fs, path = storage.filesystem(versions_dir)
            on_disk = [p.rstrip("/").rsplit("/", 1)[-1] for p in fs.ls(path, detail=False)]
        numbers = [int(v) for v in [*state["versions"], *on_disk] if str(v).isdigit()]
        return str(max(numbers, default=0) + 1)

    def _publish(self, model_dir: str, state: dict[str, Any], version: str, aliases: list[str]) -> None:
        """List `version` in the state with its aliases (the first version is always default)."""
        if not state["versions"] and DEFAULT_ALIAS not in aliases:
            aliases = [*aliases, DEFAULT_ALIAS]
        state["versions"].append(version)
        state["latest_version"] = version
        state["aliases"].update({alias: version for alias in aliases})
        self._write_state(model_dir, state)

    def _register_remote(
        self, model_dir: str, bundle_uri: str, record: dict[str, Any], aliases: list[str]
    ) -> ModelVersion:
        state = self._state(record["model_name"])
        version = self._next_version(model_dir, state)
        folder = storage.join(model_dir, "versions", version)
        record.update(version=version, created_at=_now())
        _copy_tree(bundle_uri, storage.join(folder, BUNDLE_FOLDER))
        storage.write_text(storage.join(folder, VERSION_FILE), json.dumps(record, indent=2) + "\n")
        self._publish(model_dir, state, version, aliases)
        return self.get_version(record["model_name"], version)

    @contextmanager
    def _locked(self, model_dir: str) -> Iterator[None]:
        if not self.local:  # object stores: no lock (one writer per model assumed)
            yield
            return
        os.makedirs(model_dir, exist_ok=True)
        with open(os.path.join(model_dir, LOCK_FILE), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_tree(source_uri: str, target_uri: str) -> None:
    """Copy every file under the folder `source_uri` to `target_uri`; RegistryError naming the problem."""
    fs, source = storage.filesystem(source_uri)
    if not fs.isdir(source):
        raise RegistryError(f"{source_uri}: no model bundle there (not a folder)")
    if not fs.find(source):
        raise RegistryError(f"{source_uri}: no model bundle there (the folder is empty)")
    try:
        if storage.is_local(source_uri) and storage.is_local(target_uri):
            shutil.copytree(source, storage.filesystem(target_uri)[1])
            return
        for path in fs.find(source):
            relative = Path(path).relative_to(Path(source)).as_posix()
            storage.write_bytes(storage.join(target_uri, relative), fs.cat_file(path))
    except (OSError, shutil.Error, storage.StorageError) as error:
        raise RegistryError(f"{source_uri}: cannot copy the model bundle into the registry: {error}") from None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
