"""The component's real Docker image, built by Pants for this test: runs the code, as non-root."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import yaml

from mlops.sample_data import SampleSpec, write
from mlops.testing.docker_images import built_image, image_user, run_image

SPEC = {
    "entity_column": "entity_id",
    "timestamp_column": "event_timestamp",
    "transforms": [
        {"op": "log1p", "name": "log_tenure", "column": "tenure_months"},
        {"op": "ratio", "name": "charges_per_call", "numerator": "monthly_charges", "denominator": "support_calls"},
        {"op": "hour_of_day", "name": "hour", "column": "event_timestamp"},
    ],
}


def test_image_builds_features_into_a_local_store_as_a_non_root_user(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o777)  # the container's user owns nothing on the host
    write(SampleSpec("churn", 800, seed=1), data / "train.parquet")
    write(SampleSpec("churn", 200, seed=2), data / "test.parquet")
    (data / "spec.yaml").write_text(yaml.safe_dump(SPEC))
    command = ["/data/spec.yaml", "--split", "train=/data/train.parquet", "--split", "test=/data/test.parquet"]
    command += ["--output-dir", "/data/out", "--label", "churned", "--store", "/data/store", "--view", "churn"]
    output = run_image(built_image("features"), [*command, "--log-format", "text"], volumes={str(data): "/data"})
    summary = json.loads(output.strip().splitlines()[-1])
    assert summary["features"] == ["log_tenure", "charges_per_call", "hour"]
    assert summary["rows"] == {"train": 800, "test": 200}
    table = pq.read_table(data / "out" / "train.parquet")
    assert table.column_names == ["entity_id", "event_timestamp", "log_tenure", "charges_per_call", "hour", "churned"]
    assert (data / "store" / "online.db").stat().st_uid != 0


def test_image_can_execute_the_kfp_component_and_reach_vertex_as_non_root() -> None:
    # Vertex AI runs `python3 -m kfp.dsl.executor_main` in the image; kfp, the wrapper and the SDKs
    # the production feature store uses must import.
    image = built_image("features")
    command = (
        "import kfp.dsl.executor_main, features.component, mlops.feature_store.vertex;"
        "from google.cloud import bigquery; from vertexai.resources.preview import feature_store; print('ready')"
    )
    assert run_image(image, entrypoint=["python3", "-c", command]).strip() == "ready"
    assert image_user(image) != "0"


def test_image_stays_within_its_recorded_size() -> None:
    from mlops.testing import docker_images

    docker_images.assert_within_recorded_size("features", docker_images.built_image("features"))
