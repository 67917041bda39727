"""What each `mlops` command does, on the local stores or on Vertex AI depending on the environment."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mlops import storage
from mlops.config import Settings
from mlops.images import ImagesError, built_images
from mlops.lineage import Lineage, RegisteredVersion, lineage_of
from mlops.logs import step_logging_env
from mlops.metadata import MetadataError, MetadataStore
from mlops.pipeline_definition import PipelineDefinition, Stores
from mlops.run_journal import add_pending, record_pending
from mlops.runs import RunRecord, new_run_id, run_label, save_record
from mlops_cli.errors import UsageError
from mlops_cli.record_runs import start_in_background
from mlops_cli.sdk_internals import quick_task_checks
from mlops_cli.stopping import RunCancelled, Stopper, cancelled_line

if TYPE_CHECKING:
    from mlops_cli.warm_runner import WarmWorkers

RUNNERS = ("local", "kfp-local", "docker", "vertex")
# The CLI's runner names -> run_local's: `local` forks steps from warm workers, `kfp-local` starts
# each as kfp.local does (a new interpreter), the reference the warm runner is measured against.
LOCAL_RUNNERS = {"local": "warm", "kfp-local": "subprocess", "docker": "docker"}


def _is_vertex(settings: Settings) -> bool:
    return settings.environment != "local"


def runs_dir(settings: Settings) -> str:
    return storage.join(settings.storage_root, "runs")


def run_parameters(
    definition: PipelineDefinition[Any],
    config: BaseModel,
    settings: Settings,
    overrides: dict[str, str],
    run_id: str = "",
) -> dict[str, Any]:
    stores = Stores(
        registry_uri=storage.absolute(settings.resolved_registry_uri()),
        feature_store_uri=storage.absolute(settings.resolved_feature_store_uri()),
    )
    parameters = definition.parameters(config, stores)
    if "git_commit" in parameters:
        parameters["git_commit"] = _git_commit()
    if "model_labels" in parameters:
        # The run id label links a registered version back to its run (mlops lineage).
        parameters["model_labels"] = {**parameters["model_labels"], "mlops_run_id": run_label(run_id)}
    for key, value in overrides.items():
        parameters[key] = _parse_override(key, value, parameters)
    return parameters


def _parse_override(key: str, value: str, parameters: dict[str, Any]) -> Any:
    if key not in parameters:
        raise UsageError(f"--set {key}: unknown parameter; parameters are: {', '.join(sorted(parameters))}")
    if len(value) > 1 and value[0] == value[-1] and value[0] in "\"'":
        # Refused, not stripped: quotes that reach here were meant for a shell that never saw them
        # (a Makefile, a CI variable); a value is never quoted, so this one would fail in a step.
        raise UsageError(
            f"--set {key}={value}: the value keeps its quotes; pass it without them: --set {key}={value[1:-1]}"
        )
    if isinstance(parameters[key], str):
        return value
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise UsageError(f"--set {key}={value}: expected JSON like {json.dumps(parameters[key])}") from None
    expected = (float, int) if isinstance(parameters[key], float) else type(parameters[key])
    if not isinstance(parsed, expected) or isinstance(parsed, bool) != isinstance(parameters[key], bool):
        raise UsageError(f"--set {key}={value}: expected a {type(parameters[key]).__name__}")
    return parsed


def run_pipeline(
    definition: PipelineDefinition[Any],
    config: BaseModel,
    settings: Settings,
    *,
    runner: str,
    enable_caching: bool = True,
    wait: bool = False,
    run_id: str | None = None,
    overrides: dict[str, str] | None = None,
    credentials: Any = None,
    images_dir: Path = Path("dist"),
    verbose: bool = False,
    max_parallel: int | None = None,
    workers: WarmWorkers | None = None,
) -> RunRecord:
    """Run `definition`'s pipeline for `config` with `runner`; local runs are recorded in the metadata store.

    `images_dir` is where `./pants package components::` wrote the images' metadata (docker, vertex).
    Local runs write kfp.local's step logs to `<metadata_dir>/logs/RUN_ID.log`, or with `verbose`
    to stdout. Independent local tasks run at the same time, at most `max_parallel` (default: the
    CPU count). A local run stopped by SIGINT/SIGTERM is recorded as CANCELLED, then raises
    RunCancelled (mlops_cli.stopping) with the line to print. `workers`: the `local` runner's fork
    server if the caller started it already (mlops_cli.warm_runner.warm_workers), else the run starts one.
    """
    images = step_images(definition, runner, settings, images_dir)
    definition.preflight(config)
    pipeline_name = definition.run_name(config)
    record = RunRecord(run_id or new_run_id(pipeline_name), pipeline_name, runner, settings.environment)
    parameters = run_parameters(definition, config, settings, overrides or {}, record.run_id)
    if definition.preflight_parameters is not None:
        definition.preflight_parameters(config, parameters)  # before any runner: nothing written yet
    if runner == "vertex":
        from mlops_cli import vertex_runner

        spec = definition.compile(
            config, Path(f"dist/pipelines/{record.run_id}.yaml"), images, step_environment(settings)
        )
        return vertex_runner.submit(
            spec, parameters, settings, record, enable_caching=enable_caching, wait=wait, credentials=credentials
        )

    from mlops_cli.local_runner import docker_mounts, run_local
    from mlops_cli.report import progress
    from mlops_cli.warm_runner import warm_workers

    mounts = docker_mounts(parameters, create=_store_parameters(parameters)) if runner == "docker" else []
    stopper = Stopper()
    # Ctrl-C and SIGTERM cancel the run from here on; once it has ended they wait for its record.
    warm = LOCAL_RUNNERS[runner] == "warm"
    own_workers = warm_workers(warm, progress) if workers is None else contextlib.nullcontext(workers)
    with stopper.handling_signals(), own_workers as workers:
        with quick_task_checks():
            pipeline = definition.build(config, images, step_environment(settings))
        run_local(
            pipeline,
            parameters,
            record,
            pipeline_root=Path(settings.gcp.pipeline_root),
            runner=LOCAL_RUNNERS[runner],
            enable_caching=enable_caching,
            mounts=mounts,
            log_path=None if verbose else Path(settings.metadata_dir) / "logs" / f"{record.run_id}.log",
            stopper=stopper,
            workers=workers,
            max_parallel=max_parallel,
        )
        save_record(record, runs_dir(settings))
        # The MLflow store is written by a recorder in the background (0.6 s this command does not
        # wait for); every reader of the store first records what is still waiting (mlops.run_journal).
        add_pending(settings.metadata_dir, record)
        start_in_background(settings.metadata_dir)
    if record.status == "CANCELLED":
        raise RunCancelled(stopper.signum or signal.SIGINT, cancelled_line(record, enable_caching))
    return record


def step_images(
    definition: PipelineDefinition[Any],
    runner: str,
    settings: Settings,
    images_dir: Path = Path("dist"),
    built: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Image reference of each step's component for `runner`: placeholders for the local runner
    (it runs the steps in this Python environment), the images Pants built for docker and vertex
    (those under `images_dir`, or `built`: component -> reference, e.g. CI's deployed images).

    A component with no built image is an error here, naming the command that builds it, rather
    than a placeholder tag that fails to pull once the run has started.
    """
    if runner not in RUNNERS:
        raise ValueError(f"unknown runner {runner!r}; use one of {', '.join(RUNNERS)}")
    if runner in ("local", "kfp-local"):
        return definition.unbuilt_images()
    built = built_images(images_dir) if built is None else built
    if missing := definition.missing_images(built):
        commands = " ".join(f"components/{name}:image" for name in missing)
        raise ImagesError(
            f"pipeline {definition.name!r} needs image(s) not built under {images_dir}/: {', '.join(missing)}; "
            f"build them with `./pants package {commands}`"
        )
    images = {name: built[name] for name in definition.components}
    if runner == "vertex":
        _check_published_to(settings, images, images_dir)
    return {**definition.external_images, **images}


def _check_published_to(settings: Settings, images: Mapping[str, str], images_dir: Path) -> None:
    """The spec uses exactly the references Pants built and `./pants publish` pushed; they must be in
    the environment's registry (`images.registry`/`images.repository` in config/<env>.yaml)."""
    expected = f"{settings.images.registry}/{settings.images.repository}/"
    elsewhere = sorted(name for name, reference in images.items() if not reference.startswith(expected))
    if elsewhere:
        found = images[elsewhere[0]].rsplit("/", 1)[0]
        raise ImagesError(
            f"the images under {images_dir}/ were built for {found}/, but environment {settings.environment!r} "
            f"pulls from {expected} (images.registry in its config): build and push them there with "
            f"`ARTIFACT_REGISTRY={settings.images.registry} PANTS_CONFIG_FILES=pants.gcp.toml "
            "./pants publish components::`"
        )


def compile_spec(
    definition: PipelineDefinition[Any],
    config: BaseModel,
    settings: Settings,
    output: Path,
    use_built_images: bool = False,
    images_dir: Path = Path("dist"),
    built: Mapping[str, str] | None = None,
) -> Path:
    """The spec with the images Pants built and published to the environment's registry (as Vertex
    AI runs it), or with `use_built_images` False with placeholder references, to read."""
    runner = "vertex" if use_built_images else "local"
    images = step_images(definition, runner, settings, images_dir, built)
    with quick_task_checks():
        return definition.compile(config, output, images, step_environment(settings))


def step_environment(settings: Settings) -> dict[str, str]:
    """The environment variables every task gets: how the steps log (JSON on Vertex AI, per config)."""
    logging = settings.logging
    return step_logging_env(logging.level, logging.json_output, logging.labels)


def list_runs(settings: Settings, limit: int) -> list[dict[str, Any]]:
    if _is_vertex(settings):
        from mlops_cli import vertex_runner

        return [record.to_dict() for record in vertex_runner.list_runs(settings, limit)]
    return [record.to_dict() for record in _store(settings).list_runs(limit)]


def show_run(settings: Settings, run_id: str) -> dict[str, Any]:
    return _get_run(settings, run_id).to_dict()


def lineage(settings: Settings, model_version: str) -> Lineage:
    """Where `NAME:VERSION` came from: the version's `mlops_run_id` label names the run that
    registered it, and the lineage is computed from that run's record (local or Vertex AI)."""
    from mlops.registry import open_registry

    name, _, version = model_version.partition(":")
    if _is_vertex(settings):
        from mlops_cli import vertex_runner

        vertex_runner.init_sdk(settings)
    registered = open_registry(settings.resolved_registry_uri()).get_version(name, version)
    label = registered.labels.get("mlops_run_id", "")
    if not label:
        raise MetadataError(f"{model_version} has no mlops_run_id label: it was not registered by `mlops run`")
    return lineage_of(_get_run(settings, label), RegisteredVersion(name, registered.version))


def _get_run(settings: Settings, run_id: str) -> RunRecord:
    if _is_vertex(settings):
        from mlops_cli import vertex_runner

        return vertex_runner.get_run(settings, run_id)
    return _store(settings).get_run(run_id)


def _store(settings: Settings) -> MetadataStore:
    """The local metadata store, with every run record still waiting recorded first."""
    store = MetadataStore(settings.metadata_dir)
    record_pending(settings.metadata_dir, store)
    return store


def list_models(settings: Settings, model_name: str) -> list[Any]:
    from mlops.registry import open_registry

    return open_registry(settings.resolved_registry_uri()).list_versions(model_name)


def _store_parameters(parameters: Mapping[str, Any]) -> tuple[str, ...]:
    """The parameters naming the environment's stores: folders a containerized run writes to."""
    return tuple(field.name for field in dataclasses.fields(Stores) if field.name in parameters)



def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
