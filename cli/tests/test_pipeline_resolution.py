"""How the CLI finds a pipeline and its images: the config's `pipeline:` key, built images only
(a component with none is refused before anything runs), and the SDK versions it was written for."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlops.config import ConfigError, ImagesConfig
from mlops.images import ImagesError
from mlops_cli.commands import compile_spec, run_pipeline, step_images
from mlops_cli.main import main
from mlops_cli.pipelines import load_pipeline
from mlops_cli.sdk_internals import WRITTEN_FOR, SdkVersionError, check_version
from run_fixtures import PIPELINES, built, local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION


def test_a_config_names_its_pipeline_and_training_is_the_default(tmp_path: Path) -> None:
    named = tmp_path / "named.yaml"
    named.write_text("pipeline: training\n" + (PIPELINES / "churn.yaml").read_text())
    assert load_pipeline(named).definition is DEFINITION
    assert load_pipeline(PIPELINES / "churn.yaml").config == load_pipeline(named).config


def test_an_unknown_pipeline_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "scoring.yaml"
    config.write_text("pipeline: batch_scoring\n" + (PIPELINES / "churn.yaml").read_text())
    expected = f"{config}: pipeline: 'batch_scoring': no pipelines/batch_scoring/pipeline.py"
    with pytest.raises(ConfigError, match=expected):
        load_pipeline(config)
    assert main(["compile", "--config", str(config), "--output", str(tmp_path / "spec.yaml")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_docker_and_vertex_refuse_a_component_with_no_built_image(tmp_path: Path) -> None:
    dist = built(tmp_path / "dist", *(name for name in DEFINITION.components if name not in ("train", "notify")))
    settings = local_settings(tmp_path)
    for runner in ("docker", "vertex"):
        build = r"`\./pants package components/train:image components/notify:image`"
        with pytest.raises(ImagesError, match=rf"train, notify; build them with {build}"):
            step_images(DEFINITION, runner, settings, dist)
    with pytest.raises(ImagesError, match="components/train:image"):
        run_pipeline(DEFINITION, small("churn.yaml"), settings, runner="docker", images_dir=dist)
    assert not (tmp_path / "pipeline-root").exists()  # refused before anything ran
    with pytest.raises(ImagesError, match="components/notify:image"):
        compile_spec(DEFINITION, small("churn.yaml"), settings, tmp_path / "spec.yaml", True, dist)
    assert step_images(DEFINITION, "local", settings, dist)["train"] == "vertex-mlops/train:latest"  # not used


def test_the_spec_uses_exactly_the_images_pants_built_for_the_environments_registry(tmp_path: Path) -> None:
    dist = built(tmp_path / "dist", *DEFINITION.components)
    settings = local_settings(tmp_path)  # images.registry localhost:5000, where the local publish pushes
    images = step_images(DEFINITION, "vertex", settings, dist)
    assert images["ingest"] == "localhost:5000/vertex-mlops/ingest:h"  # as built and pushed, unchanged
    spec_path = compile_spec(DEFINITION, small("churn.yaml"), settings, tmp_path / "s.yaml", True, dist)
    spec = yaml.safe_load(spec_path.read_text())
    used = {executor["container"]["image"] for executor in spec["deploymentSpec"]["executors"].values()}
    assert used == {images[name] for name in DEFINITION.components}


def test_images_built_for_another_registry_than_the_environments_are_refused(tmp_path: Path) -> None:
    dist = built(tmp_path / "dist", *DEFINITION.components)
    settings = local_settings(tmp_path)
    elsewhere = settings.model_copy(update={"images": ImagesConfig(registry="europe-west2-docker.pkg.dev/acme")})
    expected = (
        r"built for localhost:5000/vertex-mlops/, but environment 'local' pulls from "
        r"europe-west2-docker.pkg.dev/acme/vertex-mlops/ .*ARTIFACT_REGISTRY=europe-west2-docker.pkg.dev/acme "
    )
    with pytest.raises(ImagesError, match=expected):
        compile_spec(DEFINITION, small("churn.yaml"), elsewhere, tmp_path / "s.yaml", True, dist)
    assert not (tmp_path / "s.yaml").exists()


@pytest.mark.parametrize("package", sorted(WRITTEN_FOR))
def test_sdk_internals_refuse_another_sdk_version(package: str) -> None:
    check_version(package)  # the installed (locked) version is the one written for
    expected = rf"written for {package} {WRITTEN_FOR[package]}, but {package} 99\.0\.0 is installed"
    with pytest.raises(SdkVersionError, match=expected):
        check_version(package, "99.0.0")
