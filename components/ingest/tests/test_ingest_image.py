"""The component's real Docker image, built by Pants for this test: runs the code, as non-root."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pyarrow as pa
import pyarrow.parquet as pq

from mlops.testing.docker_images import built_image

# Pants builds the image before this test runs (runtime_package_dependencies) and writes its
# metadata next to the test, so the test uses the exact content-hash tag of this build.
COMPONENT = "ingest"


def test_image_tag_is_the_content_hash() -> None:
    assert len(built_image(COMPONENT).rsplit(":", 1)[1]) == 64  # the {pants.hash} tag


def test_image_runs_ingest_as_a_non_root_user(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the container's user owns nothing on the host
    pq.write_table(pa.table({"id": list(range(300)), "y": [i % 2 for i in range(300)]}), data / "in.parquet")
    client = docker.from_env()
    output = client.containers.run(
        built_image(COMPONENT),
        ["/data/in.parquet", "/data/out", "--log-format", "text"],
        volumes={str(data): {"bind": "/data", "mode": "rw"}},
        remove=True,
        stdout=True,
        stderr=False,
    )
    summary = json.loads(output.decode().strip().splitlines()[-1])
    assert sum(summary["rows"].values()) == 300
    assert pq.read_table(data / "out" / "train.parquet").num_rows == summary["rows"]["train"]
    assert (data / "out" / "train.parquet").stat().st_uid != 0
    user = client.containers.run(built_image(COMPONENT), entrypoint=["id", "-u"], remove=True).decode().strip()
    assert user != "0"


def test_image_can_execute_the_kfp_component() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image; kfp and the wrapper must import,
    # and the BigQuery client that bq:// sources use.
    client = docker.from_env()
    command = "import kfp.dsl.executor_main, ingest.component, google.cloud.bigquery; print(kfp.__version__)"
    output = client.containers.run(built_image(COMPONENT), entrypoint=["python3", "-c", command], remove=True)
    assert output.decode().strip().startswith("2.")


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("ingest", docker_images.built_image("ingest"))
