"""The component's real image, built by Pants for this test: it predicts with a registered LightGBM
bundle (so the OpenMP runtime is there), as non-root."""

import json
from pathlib import Path

from mlops.model_bundle import save_bundle
from mlops.registry import open_registry
from mlops.testing import docker_images
from mlops.testing.bundles import fit_bundle, write_splits


def test_image_predicts_with_a_registered_lightgbm_model_as_a_non_root_user(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the container's user owns nothing on the host
    splits = write_splits(data, "churn", {"train": (300, 1), "rows": (100, 2)})
    save_bundle(fit_bundle("churn", splits["train"], "lightgbm"), str(data / "model"))
    open_registry(str(data / "registry")).register("churn", str(data / "model"), metrics={"auc": 0.7})
    image = docker_images.built_image("batch_predict")
    command = ["/data/churn-rows.parquet", "/data/registry", "churn", "/data/out/p.parquet", "--log-format", "text"]
    output = docker_images.run_image(image, command, volumes={str(data): "/data"})
    assert json.loads(output.strip().splitlines()[-1])["rows"] == 100
    assert (data / "out" / "p.parquet").exists()
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
