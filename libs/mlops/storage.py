"""Storage paths that behave the same for local folders and object stores (`gs://`, `memory://`).

Every write is atomic: readers see the old object or the complete new one, never a partial file.
On a local filesystem that is a temporary file in the same folder followed by a rename; object
stores such as GCS only publish an object once its upload completes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import fsspec
from fsspec.implementations.local import LocalFileSystem


class StorageError(Exception):
    """A storage URI could not be read or written. The message names the URI."""


def filesystem(uri: str) -> tuple[fsspec.AbstractFileSystem, str]:
    """The fsspec filesystem for `uri` and the path inside it."""
    try:
        return fsspec.core.url_to_fs(str(uri))
    except (ImportError, ValueError) as error:
        raise StorageError(f"{uri}: unsupported storage URI: {error}") from None


def is_local(uri: str) -> bool:
    return isinstance(filesystem(uri)[0], LocalFileSystem)


def absolute(uri: str) -> str:
    """A local path made absolute (a step may run in another working directory, or a container
    where the path is mounted as it is); a URI (`gs://...`) as it is."""
    return uri if "://" in uri else str(Path(uri).resolve())


def join(base: str, *parts: str) -> str:
    """Join path segments onto a local path or a URI, using `/` for URIs."""
    base = str(base)
    if "://" not in base:
        return str(Path(base, *parts))
    return "/".join([base.rstrip("/"), *(part.strip("/") for part in parts)])


def exists(uri: str) -> bool:
    fs, path = filesystem(uri)
    return fs.exists(path)


def makedirs(uri: str) -> None:
    fs, path = filesystem(uri)
    fs.makedirs(path, exist_ok=True)


def list_files(uri: str, pattern: str = "*") -> list[str]:
    """Files directly under `uri` matching a glob `pattern`, as URIs of the same scheme, sorted."""
    fs, path = filesystem(uri)
    matches = fs.glob(f"{path.rstrip('/')}/{pattern}")
    local = isinstance(fs, LocalFileSystem)
    return sorted(match if local else fs.unstrip_protocol(match) for match in matches if fs.isfile(match))


def read_bytes(uri: str) -> bytes:
    fs, path = filesystem(uri)
    try:
        return fs.cat_file(path)
    except FileNotFoundError:
        raise StorageError(f"{uri}: no such file") from None


def read_text(uri: str) -> str:
    return read_bytes(uri).decode("utf-8")


@contextmanager
def atomic_writer(uri: str) -> Iterator[IO[bytes]]:
    """Open `uri` for binary writing; the content appears at `uri` only if the block completes."""
    fs, path = filesystem(uri)
    if isinstance(fs, LocalFileSystem):
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        handle, temp_path = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
        try:
            os.chmod(temp_path, 0o644)  # mkstemp's 0600 would hide the file from other users
            with os.fdopen(handle, "wb") as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp_path, path)
        except BaseException:
            if os.path.exists(temp_path):
                os.unlink(temp_path)
            raise
        return
    if _publishes_on_commit(fs):
        # GCS and S3 uploads become visible only when close() commits them, so aborting the
        # upload on error leaves any previous object untouched.
        stream = fs.open(path, "wb")
        try:
            yield stream
        except BaseException:
            stream.discard()
            raise
        stream.close()
        return
    # Any other filesystem: write a temporary sibling, then move it into place.
    temp_path = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        with fs.open(temp_path, "wb") as temp_stream:
            yield temp_stream
        fs.mv(temp_path, path)
    finally:
        if fs.exists(temp_path):
            fs.rm(temp_path)


def write_bytes(uri: str, data: bytes) -> None:
    with atomic_writer(uri) as stream:
        stream.write(data)


def write_text(uri: str, text: str) -> None:
    write_bytes(uri, text.encode("utf-8"))


@contextmanager
def staging_folder(outputs: Iterable[str], prefix: str) -> Iterator[Path]:
    """A temporary local folder for files that are then moved to `outputs` (local paths); removed after.

    It is made next to the first output, so the final `os.replace` stays on one filesystem and
    is atomic (a folder in /tmp may be another filesystem, where a move is a copy).
    """
    first = next(iter(outputs), None)
    parent = os.path.dirname(os.path.abspath(first)) if first is not None else None
    if parent is not None:
        os.makedirs(parent, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _publishes_on_commit(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
    return bool(protocols & {"gs", "gcs", "s3", "s3a"})
