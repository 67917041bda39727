"""The model bundle a server loads: fetched once, checked before any worker unpickles it.

Vertex AI copies the model to a bucket of its own and passes that gs:// folder as AIP_STORAGE_URI.
The main process copies the bundle's description and model file to a local folder and checks the
model file against its SHA-256 there, so a tampered or partial bundle stops the server before it
listens, and each worker process reads the local copy instead of downloading it again.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from mlops import storage
from mlops.model_bundle import INFO_FILE, MODEL_FILE, BundleError, StoredBundle, read_bundle


def prepare_bundle(uri: str, cache_dir: str | None = None) -> tuple[str, StoredBundle]:
    """A local folder holding the checked bundle of `uri`, and the bundle as read there.

    A local `uri` is used in place. Raises BundleError naming `uri` if it is not a bundle, cannot be
    read, or its model file does not match its checksum.
    """
    if storage.is_local(uri):
        return uri, read_bundle(uri)
    local = Path(tempfile.mkdtemp(prefix="bundle-", dir=cache_dir))
    for name in (INFO_FILE, MODEL_FILE):
        try:
            (local / name).write_bytes(storage.read_bytes(storage.join(uri, name)))
        except storage.StorageError as error:
            raise BundleError(f"{uri}: not a model bundle: {error}") from None
    try:
        return str(local), read_bundle(str(local))
    except BundleError as error:  # name the folder the operator gave, not the local copy
        raise BundleError(str(error).replace(str(local), uri)) from None
