"""The component's real image, built by Pants for this test: as Vertex AI runs it (AIP_* variables,
the bundle mounted), as non-root, answering health and a prediction, and stopping on SIGTERM."""

from __future__ import annotations

from pathlib import Path

import docker

from mlops.model_bundle import save_bundle
from mlops.testing import docker_images
from mlops.testing.bundles import fit_bundle, write_splits
from serve import api

ROW = [12, 70.5, 2, "month-to-month", "card", "north"]


def test_image_serves_a_mounted_bundle_as_non_root_and_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)  # the container's user owns nothing on the host: reading is enough
    splits = write_splits(data, "churn", {"train": (300, 1)})
    save_bundle(fit_bundle("churn", splits["train"], "lightgbm"), str(data / "model"))
    image = docker_images.built_image("serve")
    environment = {"AIP_STORAGE_URI": "/mnt/model", "AIP_HTTP_PORT": "8080", "AIP_PREDICT_ROUTE": "/v1/predict"}
    container = docker.from_env().containers.run(
        image,
        environment=environment,
        volumes={str(data / "model"): {"bind": "/mnt/model", "mode": "ro"}},
        ports={"8080/tcp": ("127.0.0.1", None)},  # a free host port, chosen by Docker
        detach=True,
    )
    try:
        container.reload()
        port = int(container.ports["8080/tcp"][0]["HostPort"])
        url = f"http://127.0.0.1:{port}"
        api.wait_for_health(url, timeout=120)
        predictions = api.predict(url, [ROW], route="/v1/predict")
        assert predictions[0]["classes"] == [0, 1] and len(predictions[0]["scores"]) == 2
        assert container.exec_run(["id", "-u"]).output.decode().strip() != "0"
        container.kill(signal="SIGTERM")
        assert container.wait(timeout=60)["StatusCode"] == 0
        logs = container.logs(stdout=True, stderr=True).decode()
        assert "Traceback" not in logs and "model loaded from /mnt/model" in logs
    finally:
        container.remove(force=True)


def test_image_sets_no_aip_variables_and_runs_the_server() -> None:
    image = docker_images.built_image("serve")
    config = docker.from_env().images.get(image).attrs["Config"]
    assert not [variable for variable in config.get("Env") or [] if variable.startswith("AIP_")]
    assert config["Entrypoint"] == ["python3", "-m", api.MODULE]
    assert docker_images.image_user(image) != "0"


def test_image_refuses_a_missing_bundle_with_one_line() -> None:
    image = docker_images.built_image("serve")
    container = docker.from_env().containers.run(image, environment={"AIP_STORAGE_URI": "/nowhere"}, detach=True)
    try:
        assert container.wait(timeout=120)["StatusCode"] == 2
        logs = container.logs(stdout=False, stderr=True).decode().strip().splitlines()
        assert logs[-1].startswith("serve: error: /nowhere: not a model bundle")
    finally:
        container.remove(force=True)


def test_image_stays_within_its_recorded_size() -> None:
    image = docker_images.built_image("serve")
    docker_images.assert_within_recorded_size("serve", image)
