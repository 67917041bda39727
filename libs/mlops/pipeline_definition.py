"""What a pipeline declares so that every runner, preflight, run record and lineage view serves it.

`pipelines/<name>/pipeline.py` exposes `DEFINITION = PipelineDefinition(...)`; the `mlops` CLI
finds it by the pipeline config's `pipeline:` key (default `training`) and knows nothing else
about it. Adding a pipeline is a folder under `pipelines/`, with no change to the runners
(docs/adding-a-pipeline.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

ConfigT = TypeVar("ConfigT", bound=BaseModel)


class PreflightError(Exception):
    """The data a run would read does not fit its config; the message names the source and the column."""


@dataclass(frozen=True)
class Step:
    """One task of the pipeline, as runners record it."""

    name: str  # the task's display name: what run records, `runs show` and lineage call it
    component: str  # the component (components/<component>) whose image runs it
    cacheable: bool = True  # False: its result depends on outside state, not only on its inputs
    # Talks to outside services and may fail transiently: retries those errors as the config's
    # `resources.<step>.retries` says (mlops.retries).
    transient: bool = False


@dataclass(frozen=True)
class Stores:
    """The environment's stores a run's parameters point at, as absolute paths or URIs."""

    registry_uri: str
    feature_store_uri: str


@dataclass(frozen=True)
class PipelineDefinition(Generic[ConfigT]):
    name: str  # the folder under pipelines/ and the config's `pipeline:` value
    config_model: type[ConfigT]  # validates the pipeline config file (without its `pipeline:` key)
    steps: tuple[Step, ...]  # in the order a successful run executes them
    run_name: Callable[[ConfigT], str]  # the KFP pipeline name of a config: run ids and experiments
    parameters: Callable[[ConfigT, Stores], dict[str, Any]]  # the run's parameter values
    # The KFP pipeline for a config, steps bound to images (component -> reference), every task given
    # the environment variables in the third argument (e.g. how to log: mlops.logs.step_logging_env).
    build: Callable[[ConfigT, Mapping[str, str], Mapping[str, str]], Callable[..., Any]]
    preflight: Callable[[ConfigT], object]  # raises PreflightError before anything runs
    # Checks of the run's final parameters (the config's, after `--set` overrides, with the
    # environment's store URIs), also before anything runs; raises PreflightError. None: no checks.
    preflight_parameters: Callable[[ConfigT, Mapping[str, Any]], object] | None = None
    # Images the steps reference that Pants does not build (e.g. a model server), with defaults.
    external_images: Mapping[str, str] = field(default_factory=dict)

    @property
    def components(self) -> tuple[str, ...]:
        """The components whose images the steps run in, in step order, once each."""
        return tuple(dict.fromkeys(step.component for step in self.steps))

    def step(self, name: str) -> Step:
        found = next((step for step in self.steps if step.name == name), None)
        if found is None:
            raise KeyError(f"pipeline {self.name!r} has no step {name!r}")
        return found

    def unbuilt_images(self) -> dict[str, str]:
        """Placeholder references for runs that do not use images (kfp.local's SubprocessRunner)."""
        return {**{name: f"vertex-mlops/{name}:latest" for name in self.components}, **self.external_images}

    def missing_images(self, built: Mapping[str, str]) -> list[str]:
        """The components that `built` (component -> image reference) has no image for."""
        return [name for name in self.components if name not in built]

    def compile(
        self, config: ConfigT, output: Path, images: Mapping[str, str], step_env: Mapping[str, str] | None = None
    ) -> Path:
        """Compile the pipeline for `config`, steps bound to `images` and given `step_env`, to a spec
        file (YAML) at `output`."""
        from kfp import compiler  # imported here: only compiling needs it

        output.parent.mkdir(parents=True, exist_ok=True)
        compiler.Compiler().compile(self.build(config, images, step_env or {}), str(output))
        return output
