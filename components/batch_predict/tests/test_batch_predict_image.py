"""The component's real image, built by Pants for this test: it loads a LightGBM bundle (so the
OpenMP runtime is there) and runs the step, as non-root."""

import json
from pathlib import Path

from mlops.model_bundle import save_bundle
from mlops.testing import docker_images
from mlops.testing.bundles import fit_bundle, write_splits


def test_image_runs_the_step_on_a_lightgbm_bundle_as_a_non_root_user(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the container's user owns nothing on the host
    splits = write_splits(data, "churn", {"train": (300, 1), "test": (100, 2)})
    save_bundle(fit_bundle("churn", splits["train"], "lightgbm"), str(data / "model"))
    image = docker_images.built_image("batch_predict")
    command = ["/data/model", "/data/churn-test.parquet", "/data/result.json", "--log-format", "text"]
    output = docker_images.run_image(image, command, volumes={str(data): "/data"})
    assert json.loads(output.strip().splitlines()[-1])["rows"] == 100
    assert json.loads((data / "result.json").read_text())["primary_metric"] == "auc"
    assert docker_images.image_user(image) != "0"
    # The code the step runs is root's: the unprivileged user cannot change it.
    package = "/opt/app/lib/python3.11/site-packages/batch_predict"
    probe = f"touch {package}/probe 2>/dev/null && echo writable || echo read-only"
    assert docker_images.run_image(image, entrypoint=["sh", "-c", probe]).strip() == "read-only"


def test_image_can_execute_the_kfp_component() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image: kfp and the wrapper must import.
    command = "import kfp.dsl.executor_main, lightgbm, batch_predict.component\nprint('ready')"
    image = docker_images.built_image("batch_predict")
    assert docker_images.run_image(image, entrypoint=["python3", "-c", command]).strip() == "ready"


def test_image_stays_within_its_recorded_size() -> None:
    image = docker_images.built_image("batch_predict")
    docker_images.assert_within_recorded_size("batch_predict", image)
