from __future__ import annotations

from pathlib import Path

import fsspec
import pytest

from mlops import storage


@pytest.fixture(params=["local", "memory"])
def base(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path)
    fsspec.filesystem("memory").store.clear()
    return "memory://bucket/run-1"


def test_the_same_calls_work_for_paths_and_uris(base: str) -> None:
    target = storage.join(base, "models", "model.json")
    storage.write_text(target, '{"ok": true}')
    assert storage.exists(target)
    assert storage.read_text(target) == '{"ok": true}'
    storage.write_bytes(storage.join(base, "models", "weights.bin"), b"\x00\x01")
    names = [p.rsplit("/", 1)[-1] for p in storage.list_files(storage.join(base, "models"))]
    assert names == ["model.json", "weights.bin"]
    (weights,) = storage.list_files(storage.join(base, "models"), "*.bin")
    assert weights.endswith("models/weights.bin") and storage.read_bytes(weights) == b"\x00\x01"


def test_failed_write_keeps_the_previous_content(base: str) -> None:
    target = storage.join(base, "data.txt")
    storage.write_text(target, "old")
    with pytest.raises(RuntimeError), storage.atomic_writer(target) as stream:
        stream.write(b"half of the new")
        raise RuntimeError("crash mid-write")
    assert storage.read_text(target) == "old"
    folder = storage.join(base)
    assert [p.rsplit("/", 1)[-1] for p in storage.list_files(folder, "*")] == ["data.txt"]


def test_local_files_are_readable_by_others(tmp_path: Path) -> None:
    storage.write_text(str(tmp_path / "f.txt"), "x")
    assert (tmp_path / "f.txt").stat().st_mode & 0o044 == 0o044


def test_join_uses_slashes_for_uris() -> None:
    assert storage.join("gs://bucket/root/", "/a", "b/") == "gs://bucket/root/a/b"


def test_missing_files_and_bad_schemes_are_named(tmp_path: Path) -> None:
    with pytest.raises(storage.StorageError, match="nope.txt: no such file"):
        storage.read_text(str(tmp_path / "nope.txt"))
    with pytest.raises(storage.StorageError, match="unsupported storage URI"):
        storage.exists("nosuchscheme://bucket/x")


def test_gs_uris_map_to_gcsfs() -> None:
    fs, path = storage.filesystem("gs://bucket/a/b.parquet")
    assert "gs" in fs.protocol and path == "bucket/a/b.parquet"
    assert not storage.is_local("gs://bucket/a")


def test_a_staging_folder_sits_next_to_the_first_output_and_is_removed(tmp_path: Path) -> None:
    outputs = [str(tmp_path / "new" / "train.parquet"), str(tmp_path / "elsewhere" / "test.parquet")]
    with storage.staging_folder(outputs, prefix="ingest-") as staging:
        assert staging.parent == tmp_path / "new" and staging.name.startswith("ingest-") and staging.is_dir()
        (staging / "part.parquet").write_text("rows")
    assert not staging.exists() and list((tmp_path / "new").iterdir()) == []
    with pytest.raises(RuntimeError), storage.staging_folder([], prefix="x-") as elsewhere:
        raise RuntimeError("a failed step")
    assert not elsewhere.exists()
