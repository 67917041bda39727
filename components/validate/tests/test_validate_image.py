"""The component's real Docker image, built by Pants for this test: runs the code, as non-root."""

from __future__ import annotations

import json
from pathlib import Path

import docker
import pytest

from mlops.sample_data import SampleSpec, write
from mlops.testing.docker_images import built_image

pytest_plugins = ["validate_fixtures"]  # fixtures: see validate_fixtures.py

# Pants builds the image before this test runs (runtime_package_dependencies) and writes its
# metadata next to the test, so the test uses the exact content-hash tag of this build.
COMPONENT = "validate"


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o777)  # the container's user owns nothing on the host
    write(SampleSpec(rows=2000, seed=1), folder / "train.parquet")
    write(SampleSpec(rows=500, seed=2, bad_row_fraction=0.05), folder / "bad.parquet")
    return folder


def run(client: docker.DockerClient, data: Path, args: list[str]) -> tuple[int, str, str]:
    volumes = {str(data): {"bind": "/data", "mode": "rw"}}
    command = [*args, "--log-format", "text"]
    container = client.containers.run(built_image(COMPONENT), command, volumes=volumes, detach=True)
    try:
        code = container.wait()["StatusCode"]
        return code, container.logs(stderr=False).decode(), container.logs(stdout=False).decode()
    finally:
        container.remove()


def test_image_tag_is_the_content_hash() -> None:
    assert len(built_image(COMPONENT).rsplit(":", 1)[1]) == 64  # the {pants.hash} tag


def test_image_infers_a_schema_and_rejects_bad_data_as_a_non_root_user(data: Path) -> None:
    client = docker.from_env()
    code, out, _ = run(client, data, ["/data/train.parquet", "--infer-schema-to", "/data/schema.json"])
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["rows"] == 2000
    assert (data / "schema.json").stat().st_uid != 0
    args = ["/data/bad.parquet", "--schema", "/data/schema.json", "--report", "/data/report.md"]
    code, out, err = run(client, data, args)
    assert code == 2 and out == ""
    assert "validate: error: /data/bad.parquet: 3 violations: column 'tenure_months'" in err
    assert "Traceback" not in err and "FAILED" in (data / "report.md").read_text()
    user = client.containers.run(built_image(COMPONENT), entrypoint=["id", "-u"], remove=True).decode().strip()
    assert user != "0"


def test_image_can_execute_the_kfp_component() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image; kfp and the wrapper must import.
    client = docker.from_env()
    command = "import kfp.dsl.executor_main, validate.component; print(kfp.__version__)"
    output = client.containers.run(built_image(COMPONENT), entrypoint=["python3", "-c", command], remove=True)
    assert output.decode().strip().startswith("2.")


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("validate", docker_images.built_image("validate"))
