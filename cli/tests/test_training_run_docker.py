"""The training pipeline with `--runner docker`: kfp.local's DockerRunner runs every step in the
component image Pants built for this commit (tag `docker`: needs a Docker engine)."""

from __future__ import annotations

import time
from pathlib import Path

import docker

from mlops.images import built_images
from mlops.model_bundle import read_bundle
from mlops.registry import open_registry
from mlops_cli.commands import run_pipeline
from run_fixtures import local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION


def test_every_step_runs_in_its_built_image_and_registers_a_model(tmp_path: Path) -> None:
    images = built_images(Path("."))  # the runtime package dependencies land in the sandbox root
    assert set(images) == set(DEFINITION.components)
    started = int(time.time()) - 1
    settings = local_settings(tmp_path)
    record = run_pipeline(DEFINITION, small("churn.yaml", rows=2000), settings, runner="docker", images_dir=Path("."))

    assert record.status == "SUCCEEDED", record.error
    assert [task.status for task in record.tasks] == ["SUCCEEDED"] * len(record.tasks)
    events = docker.from_env().events(
        since=started, until=int(time.time()) + 1, filters={"type": "container", "event": "start"}, decode=True
    )
    started_images = {event["from"] for event in events}
    assert started_images == set(images.values())  # one container per step, each from its content-hash tag
    version = open_registry(settings.resolved_registry_uri()).get("churn-classifier")
    assert version is not None and version.version == "1"
    info = read_bundle(version.bundle_uri).info
    assert info.code["image"] == images["train"]
