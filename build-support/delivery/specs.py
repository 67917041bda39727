"""Compiled pipeline specs: compile every pipeline config, publish only those whose spec changed.

Every config under config/pipelines/ is compiled (about 10 ms each), its config values as the
parameters' defaults (what `mlops compile --with-defaults` writes), with the images the environment
will run: the ones this delivery built, and for every other component the reference the deploy
record names. A spec is published only when its bytes differ from the deployed one's, so a commit
that changes no image and no pipeline publishes nothing, and an unchanged component keeps its image
reference (and Vertex AI's step cache keeps hitting).
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.config import Settings
from mlops_cli.commands import compile_spec
from mlops_cli.pipelines import load_pipeline
from mlops_cli.spec_defaults import write_defaults

PIPELINE_CONFIGS = "config/pipelines"


@dataclass(frozen=True)
class CompiledSpec:
    # The config file's stem (config/pipelines/churn-batch.yaml -> churn-batch), the folder the spec is
    # published under and the name triggers start it by: unlike the config's `name:` (the model's
    # name, shared by a model's training and batch configs), unique by construction.
    name: str
    path: Path
    sha256: str


def compile_all(
    settings: Settings, images: Mapping[str, str], output_dir: Path, configs_dir: Path = Path(PIPELINE_CONFIGS)
) -> list[CompiledSpec]:
    """Compile every pipeline config in `configs_dir` with `images` (component -> reference)."""
    specs = []
    for config_file in sorted(configs_dir.glob("*.yaml")):
        loaded = load_pipeline(config_file)
        output = output_dir / f"{config_file.stem}.yaml"
        path = compile_spec(loaded.definition, loaded.config, settings, output, True, built=images)
        # The trigger functions submit it with only what an event brings: the config's values are
        # the parameters' defaults (deterministic bytes, so unchanged stays unchanged).
        write_defaults(path, loaded.definition, loaded.config, settings)
        specs.append(CompiledSpec(config_file.stem, path, hashlib.sha256(path.read_bytes()).hexdigest()))
    return specs


def changed(specs: list[CompiledSpec], deployed: Mapping[str, str]) -> list[CompiledSpec]:
    """The specs whose digest differs from the deployed one (all of them when none is recorded)."""
    return [spec for spec in specs if deployed.get(spec.name) != spec.sha256]


def publish(spec: CompiledSpec, specs_uri: str, commit: str) -> list[str]:
    """Upload to `{specs_uri}/{name}/{commit}.yaml`, then `latest.yaml` (what triggers start)."""
    data = spec.path.read_bytes()
    uris = [storage.join(specs_uri, spec.name, f"{commit}.yaml"), storage.join(specs_uri, spec.name, "latest.yaml")]
    for uri in uris:
        storage.write_bytes(uri, data)
    return uris


def publish_to_kfp_repository(
    spec: CompiledSpec, repository: str, commit: str, client_factory: Callable[[str], Any] | None = None
) -> str:
    """Upload to an Artifact Registry KFP repository, tagged with the commit and `latest`."""
    if client_factory is None:
        from kfp.registry import RegistryClient  # imported here: only this upload needs it

        client_factory = RegistryClient
    client = client_factory(repository)
    with tempfile.TemporaryDirectory() as folder:
        # The registry names the package after the file's pipeline name; upload under the config's.
        upload = Path(folder) / f"{spec.name}.yaml"
        upload.write_bytes(spec.path.read_bytes())
        package, version = client.upload_pipeline(
            file_name=str(upload), tags=[commit, "latest"], extra_headers={"description": f"{spec.name} at {commit}"}
        )
    return f"{repository}/{package}/{version}"
