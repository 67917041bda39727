"""The component's real Docker image, built by Pants for this test: runs the code, as non-root."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mlops.testing.docker_images import built_image, image_user, run_image

pytest_plugins = ["evaluate_fixtures"]  # fixtures: see evaluate_fixtures.py


def test_image_evaluates_a_lightgbm_bundle_as_a_non_root_user(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(bundles["churn"], data / "model")  # a LightGBM model: needs lightgbm and OpenMP in the image
    shutil.copy(eval_splits["churn"]["test"], data / "test.parquet")
    data.chmod(0o777)  # the container's user owns nothing on the host
    command = ["/data/model", "/data/test.parquet", "--report", "/data/report.html", "--log-format", "text"]
    summary = json.loads(
        run_image(built_image("evaluate"), command, volumes={str(data): "/data"}).strip().splitlines()[-1]
    )
    assert summary["problem_type"] == "classification" and summary["rows"] == 600 and summary["metrics"]["auc"] > 0.7
    report = data / "report.html"
    assert report.read_text().count("data:image/png;base64,") == 2 and report.stat().st_uid != 0


def test_image_can_execute_the_kfp_component_as_non_root() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image; kfp and the wrapper must import.
    image = built_image("evaluate")
    command = "import kfp.dsl.executor_main, evaluate.component, evaluate.report; print('ready')"
    assert run_image(image, entrypoint=["python3", "-c", command]).strip() == "ready"
    assert image_user(image) != "0"


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("evaluate", docker_images.built_image("evaluate"))
