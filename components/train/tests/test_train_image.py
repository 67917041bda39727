"""The component's real Docker image, built by Pants for this test: runs the code, as non-root."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from mlops.model_bundle import load_bundle, predict_proba
from mlops.sample_data import SampleSpec, write
from mlops.testing.docker_images import built_image, image_user, run_image


def test_image_trains_a_lightgbm_model_as_a_non_root_user(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the container's user owns nothing on the host
    write(SampleSpec("churn", 1000, seed=1), data / "train.parquet")
    write(SampleSpec("churn", 300, seed=2), data / "valid.parquet")
    command = ["/data/train.parquet", "/data/valid.parquet", "/data/model", "--target", "churned"]
    command += ["--problem-type", "classification", "--numeric", "tenure_months,monthly_charges,support_calls"]
    command += ["--categorical", "contract_type,payment_method", "--param", "n_estimators=30", "--log-format", "text"]
    output = run_image(built_image("train"), command, volumes={str(data): "/data"})
    summary = json.loads(output.strip().splitlines()[-1])
    assert summary["validation_metrics"]["auc"] > 0.6
    assert (data / "model" / "bundle.json").stat().st_uid != 0
    bundle = load_bundle(str(data / "model"))  # the host loads what the image wrote: one bundle format
    assert bundle.info.model_type == "lightgbm" and bundle.info.environment["lightgbm"] == "4.7.0"
    assert predict_proba(bundle, pd.read_parquet(data / "valid.parquet")).shape == (300, 2)


def test_image_can_execute_the_kfp_component_as_non_root() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image; kfp and the wrapper must import.
    image = built_image("train")
    command = "import kfp.dsl.executor_main, train.component, lightgbm; print('ready')"
    assert run_image(image, entrypoint=["python3", "-c", command]).strip() == "ready"
    assert image_user(image) != "0"


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("train", docker_images.built_image("train"))
