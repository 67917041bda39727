"""A local GCS server for tests (gcp-storage-emulator, in this process), so gs:// code runs for real.

    with gcs_emulator(bucket="specs") as client:   # a google.cloud.storage.Client on the emulator
        client.bucket("specs").blob("a/b.yaml").upload_from_string("...")
        ...                                         # code under test reads gs://specs/a/b.yaml

Inside the block STORAGE_EMULATOR_HOST points the Google client libraries at the emulator (and
GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT=false keeps gcsfs from asking it for the bucket type over gRPC,
which stalls ~60 s); both are restored afterwards.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gcs_emulator(bucket: str = "test-bucket") -> Iterator[Any]:
    """An in-memory GCS emulator with `bucket` created; yields a storage client pointed at it."""
    from gcp_storage_emulator.server import create_server
    from google.auth.credentials import AnonymousCredentials  # pants: no-infer-dep
    from google.cloud import storage  # pants: no-infer-dep (comes with google-cloud-aiplatform)

    port = _free_port()
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=bucket)
    server.start()
    environment = {"STORAGE_EMULATOR_HOST": f"http://127.0.0.1:{port}", "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false"}
    try:
        with mock.patch.dict(os.environ, environment):
            yield storage.Client(project="test-project", credentials=AnonymousCredentials())
    finally:
        server.stop()
