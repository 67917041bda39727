"""The local model registry: versions, aliases, metadata, validation, atomicity and concurrency."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import fsspec
import pytest

from mlops.registry import LocalModelRegistry, RegistryError, VertexModelRegistry, open_registry


def make_bundle(folder: Path, content: str = "weights-1") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.joblib").write_text(content)
    (folder / "bundle.json").write_text(json.dumps({"problem_type": "classification"}))
    (folder / "extra").mkdir(exist_ok=True)
    (folder / "extra" / "notes.md").write_text("nested file")
    return str(folder)


def visible_entries(model_dir: Path) -> list[str]:
    return sorted(p.name for p in model_dir.iterdir() if not p.name.startswith("."))


def test_versions_increment_and_default_moves(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    first = registry.register("churn", make_bundle(tmp_path / "b1"), metrics={"auc": 0.8}, labels={"team": "risk"})
    assert (first.version, first.aliases, first.is_default) == ("1", ["default"], True)
    second = registry.register(
        "churn", make_bundle(tmp_path / "b2", "weights-2"), metrics={"auc": 0.9}, aliases=["challenger"],
        description="better", evaluation={"problem_type": "classification", "rows": 50},
    )  # fmt: skip
    assert (second.version, second.aliases) == ("2", ["challenger", "default"])
    assert registry.get("churn") == second
    assert registry.get_version("churn", "1").aliases == []
    assert [v.version for v in registry.list_versions("churn")] == ["1", "2"]
    loaded = registry.get("churn", "challenger")
    assert loaded is not None and loaded.metrics == {"auc": 0.9} and loaded.description == "better"
    assert loaded.evaluation == {"problem_type": "classification", "rows": 50} and loaded.labels == {}
    assert registry.get_version("churn", "1").labels == {"team": "risk"}
    assert Path(second.bundle_uri, "model.joblib").read_text() == "weights-2"
    assert Path(second.bundle_uri, "extra", "notes.md").read_text() == "nested file"
    state = json.loads((tmp_path / "registry" / "churn" / "registry.json").read_text())
    assert state["aliases"] == {"default": "2", "challenger": "2"} and state["latest_version"] == "2"


def test_a_non_default_registration_keeps_the_champion(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    first = registry.register("churn", make_bundle(tmp_path / "b"), metrics={}, make_default=False)
    assert first.aliases == ["default"]  # the first version of a model is always its default
    second = registry.register("churn", make_bundle(tmp_path / "b"), metrics={}, make_default=False, aliases=["shadow"])
    assert second.aliases == ["shadow"]
    assert registry.get("churn").version == "1"  # type: ignore[union-attr]
    moved = registry.set_alias("churn", "2", "default")
    assert moved.aliases == ["default", "shadow"] and registry.get_version("churn", "1").aliases == []
    with pytest.raises(RegistryError, match="has no version '7'"):
        registry.set_alias("churn", "7", "default")
    with pytest.raises(RegistryError, match=r"no version '9' \(versions: 1, 2\)"):
        registry.get_version("churn", "9")


def test_unknown_models_and_aliases(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    assert registry.get("never") is None and registry.list_versions("never") == []
    registry.register("churn", make_bundle(tmp_path / "b"), metrics={})
    assert registry.get("churn", "staging") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model_name": "bad name!"}, "model name 'bad name!' is not valid"),
        ({"model_name": "x" * 129}, "is not valid"),
        ({"labels": {"Team": "risk"}}, "label key 'Team' is not valid"),
        ({"labels": {"team": "Risk"}}, "label team='Risk'"),
        ({"labels": {"team": "r" * 64}}, "0-63 lowercase"),
        ({"labels": {f"k{i}": "v" for i in range(65)}}, "at most 64"),
        ({"aliases": ["Default"]}, "alias 'Default' is not valid"),
        ({"aliases": ["12"]}, "alias '12' is not valid"),
        ({"aliases": "default"}, "must be a list"),
        ({"metrics": {"auc": "high"}}, "metric 'auc': 'high' is not a number"),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_written(tmp_path: Path, kwargs: dict, message: str) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    arguments = {"model_name": "churn", "bundle_uri": make_bundle(tmp_path / "b"), "metrics": {"auc": 0.5}, **kwargs}
    with pytest.raises(RegistryError, match=message):
        registry.register(**arguments)
    assert not (tmp_path / "registry").exists() or not any((tmp_path / "registry").rglob("version.json"))


def test_missing_or_empty_bundle_is_refused(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    with pytest.raises(RegistryError, match="no model bundle there .not a folder"):
        registry.register("churn", str(tmp_path / "missing"), metrics={})
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegistryError, match="the folder is empty"):
        registry.register("churn", str(tmp_path / "empty"), metrics={})
    assert registry.list_versions("churn") == []


def test_a_failure_during_the_copy_leaves_nothing_visible(tmp_path: Path) -> None:
    registry = LocalModelRegistry(tmp_path / "registry")
    bundle = Path(make_bundle(tmp_path / "b"))
    (bundle / "zz-broken-link").symlink_to(tmp_path / "nowhere")  # copied last; the copy then fails
    with pytest.raises(RegistryError, match="cannot copy the model bundle.*zz-broken-link"):
        registry.register("churn", str(bundle), metrics={"auc": 0.7})
    model_dir = tmp_path / "registry" / "churn"
    assert registry.list_versions("churn") == [] and registry.get("churn") is None
    assert [p.name for p in model_dir.iterdir() if p.name.startswith(".staging")] == []
    (bundle / "zz-broken-link").unlink()
    assert registry.register("churn", str(bundle), metrics={}).version == "1"


def _register_many(root: str, bundle: str, count: int) -> None:
    registry = LocalModelRegistry(root)
    for _ in range(count):
        registry.register("churn", bundle, metrics={"auc": 0.5})


def test_concurrent_registrations_in_two_processes_get_distinct_versions(tmp_path: Path) -> None:
    root, bundle = str(tmp_path / "registry"), make_bundle(tmp_path / "b")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_register_many, args=(root, bundle, 6)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    registry = LocalModelRegistry(root)
    versions = [v.version for v in registry.list_versions("churn")]
    assert versions == [str(n) for n in range(1, 13)]
    assert visible_entries(tmp_path / "registry" / "churn") == ["registry.json", "versions"]
    assert sorted(os.listdir(tmp_path / "registry" / "churn" / "versions"), key=int) == versions


CRASHING_REGISTRATION = """
import sys
from mlops.registry import LocalModelRegistry
LocalModelRegistry(sys.argv[1]).register("churn", sys.argv[2], metrics={"auc": 0.9})
"""


def test_a_process_killed_mid_registration_leaves_no_visible_version(tmp_path: Path) -> None:
    root, bundle = tmp_path / "registry", make_bundle(tmp_path / "b")
    registry = LocalModelRegistry(root)
    registry.register("churn", bundle, metrics={"auc": 0.5})
    model_dir = root / "churn"
    with open(model_dir / ".lock", "a+") as lock:  # hold the registry's lock: the writer copies, then waits
        fcntl.flock(lock, fcntl.LOCK_EX)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        writer = subprocess.Popen([sys.executable, "-c", CRASHING_REGISTRATION, str(root), bundle], env=env)
        deadline = time.monotonic() + 60
        while not list(model_dir.glob(".staging-*/bundle/extra/notes.md")) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(model_dir.glob(".staging-*/bundle/extra/notes.md")), "the writer never staged its copy"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert [v.version for v in registry.list_versions("churn")] == ["1"]
    assert registry.get("churn").version == "1"  # type: ignore[union-attr]
    assert os.listdir(model_dir / "versions") == ["1"]
    assert registry.register("churn", bundle, metrics={}).version == "2"


def test_an_unlisted_version_folder_is_skipped_not_reused(tmp_path: Path) -> None:
    # What a crash between the rename and the registry.json update leaves behind.
    registry = LocalModelRegistry(tmp_path / "registry")
    (tmp_path / "registry" / "churn" / "versions" / "1").mkdir(parents=True)
    assert registry.list_versions("churn") == []
    assert registry.register("churn", make_bundle(tmp_path / "b"), metrics={}).version == "2"
    with pytest.raises(RegistryError, match="no version '1'"):
        registry.get_version("churn", "1")


def test_the_same_semantics_on_an_object_store() -> None:
    fs = fsspec.filesystem("memory")
    fs.store.clear()
    fs.pipe({"/bundles/b1/model.joblib": b"w1", "/bundles/b1/sub/x.txt": b"x"})
    registry = open_registry("memory://registry")
    assert isinstance(registry, LocalModelRegistry)
    first = registry.register("churn", "memory://bundles/b1", metrics={"rmse": 1.5}, labels={"env": "dev"})
    second = registry.register("churn", "memory://bundles/b1", metrics={"rmse": 1.2}, make_default=False)
    assert (first.version, second.version, second.aliases) == ("1", "2", [])
    assert registry.get("churn") == first and first.bundle_uri == "memory://registry/churn/versions/1/bundle"
    assert fs.cat("/registry/churn/versions/2/bundle/sub/x.txt") == b"x"
    assert registry.set_alias("churn", "2", "default").aliases == ["default"]


def test_open_registry_chooses_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_registry(str(tmp_path)), LocalModelRegistry)
    vertex = open_registry("vertex://my-project/europe-west4", serving_image="img:1")
    assert isinstance(vertex, VertexModelRegistry)
    assert (vertex.project, vertex.location, vertex.serving_image) == ("my-project", "europe-west4", "img:1")
    for bad in ("vertex://only-project", "vertex:///loc", ""):
        with pytest.raises(RegistryError, match="vertex://PROJECT/LOCATION"):
            open_registry(bad)
