"""The component's real Docker image, built by Pants for this test: runs the code, as non-root."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docker

from mlops.testing.docker_images import built_image
from register_fixtures import Trained  # pants: no-infer-dep

pytest_plugins = ["register_fixtures"]  # fixtures: see register_fixtures.py

# Pants builds the image before this test runs (runtime_package_dependencies) and writes its
# metadata next to the test, so the test uses the exact content-hash tag of this build.
COMPONENT = "register"


def test_image_decides_and_registers_as_a_non_root_user(tmp_path: Path, churn: dict[str, Trained]) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for quality in ("good", "poor"):
        shutil.copytree(churn[quality].bundle, data / quality)
        shutil.copy(churn[quality].evaluation_path, data / f"{quality}.json")
    shutil.copy(churn["good"].test, data / "test.parquet")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o666)  # the container's user owns nothing on the host
    client = docker.from_env()
    volumes = {str(data): {"bind": "/data", "mode": "rw"}}
    common = ["--log-format", "text"]
    where = ["--registry", "/data/registry", "--model-name", "churn"]

    def run(*args: str) -> dict:
        output = client.containers.run(
            built_image(COMPONENT), [*common, *args, *where], volumes=volumes, remove=True, stderr=False
        )
        return json.loads(output.decode())

    decision = run(
        "champion",
        "/data/good",
        "/data/test.parquet",
        "/data/good.json",
        "--metric",
        "auc",
        "--output",
        "/data/decision.json",
    )
    assert decision["register"] and decision["champion"] is None
    record = run("register", "/data/good", "--evaluation", "/data/good.json", "--decision", "/data/decision.json")
    assert record["registered"] and record["version"] == "1"
    again = run("champion", "/data/poor", "/data/test.parquet", "/data/poor.json", "--metric", "auc")
    assert not again["register"] and again["champion_version"] == "1"
    assert again["champion"] == churn["good"].evaluation["metrics"]["auc"]
    assert (data / "registry" / "churn" / "registry.json").stat().st_uid != 0
    user = client.containers.run(built_image(COMPONENT), entrypoint=["id", "-u"], remove=True).decode().strip()
    assert user != "0"


def test_image_can_execute_the_kfp_components() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image; kfp, the wrappers and the SDK must import.
    client = docker.from_env()
    command = (
        "import kfp.dsl.executor_main, register.component, google.cloud.aiplatform, lightgbm; print(kfp.__version__)"
    )
    output = client.containers.run(built_image(COMPONENT), entrypoint=["python3", "-c", command], remove=True)
    assert output.decode().strip().startswith("2.")


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("register", docker_images.built_image("register"))
