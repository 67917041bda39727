"""What each `mlops` command does, on the local stores or on Vertex AI depending on the environment."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.config import Settings
from mlops.metadata import MetadataStore
from mlops.pipeline_config import PipelineConfig
from mlops_cli.images import built_images
from mlops_cli.run_record import RunRecord, new_run_id, save_record


def _is_vertex(settings: Settings) -> bool:
    return settings.environment != "local"


def runs_dir(settings: Settings) -> str:
    return storage.join(settings.storage_root, "runs")


def run_parameters(
    config: PipelineConfig, settings: Settings, overrides: dict[str, str], run_id: str = ""
) -> dict[str, Any]:
    from training.pipeline import pipeline_parameters

    parameters = pipeline_parameters(
        config,
        registry_uri=_absolute(settings.resolved_registry_uri()),
        feature_store_uri=_absolute(settings.resolved_feature_store_uri()),
    )
    parameters["git_commit"] = _git_commit()
    # The run id label links a registered version back to its run (mlops lineage).
    parameters["model_labels"] = {**parameters["model_labels"], "mlops_run_id": run_id.lower()[:63]}
    for key, value in overrides.items():
        parameters[key] = _parse_override(key, value, parameters)
    return parameters


def _parse_override(key: str, value: str, parameters: dict[str, Any]) -> Any:
    from mlops_cli.main import UsageError

    if key not in parameters:
        raise UsageError(f"--set {key}: unknown parameter; parameters are: {', '.join(sorted(parameters))}")
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
    config: PipelineConfig,
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
) -> RunRecord:
    """Run the training pipeline with `runner`; local runs are recorded in the metadata store.

    `images_dir` is where `./pants package components::` wrote the images' metadata (docker, vertex).
    Local runs write kfp.local's step logs to `<metadata_dir>/logs/RUN_ID.log`, or with `verbose`
    to stdout.
    """
    from mlops_cli import preflight
    from training.pipeline import build_pipeline

    preflight.check(config)
    pipeline_name = f"{config.name}-training"
    record = RunRecord(run_id or new_run_id(pipeline_name), pipeline_name, runner, settings.environment)
    parameters = run_parameters(config, settings, overrides or {}, record.run_id)
    if runner == "vertex":
        from mlops_cli import vertex_runner

        spec = compile_spec(
            config, settings, Path(f"dist/pipelines/{record.run_id}.yaml"), use_built_images=True, images_dir=images_dir
        )
        return vertex_runner.submit(
            spec, parameters, settings, record, enable_caching=enable_caching, wait=wait, credentials=credentials
        )

    from mlops_cli.local_runner import docker_mounts, run_local

    images = built_images(images_dir) if runner == "docker" else None
    mounts = docker_mounts(parameters, create=("registry_uri", "feature_store_uri")) if runner == "docker" else []
    # Built before MLflow loads: kfp inspects every loaded module while it builds components.
    pipeline = build_pipeline(config, images)
    with ThreadPoolExecutor(max_workers=1) as background:
        # Opening the MLflow store takes seconds (imports, schema check); the steps run in
        # subprocesses, so this process is idle while they run.
        store = background.submit(MetadataStore, settings.metadata_dir)
        run_local(
            pipeline,
            parameters,
            record,
            pipeline_root=Path(settings.gcp.pipeline_root),
            runner="docker" if runner == "docker" else "subprocess",
            enable_caching=enable_caching,
            mounts=mounts,
            log_path=None if verbose else Path(settings.metadata_dir) / "logs" / f"{record.run_id}.log",
        )
        save_record(record, runs_dir(settings))
        store.result().record_run(asdict(record))
    return record


def compile_spec(
    config: PipelineConfig,
    settings: Settings,
    output: Path,
    use_built_images: bool = False,
    images_dir: Path = Path("dist"),
) -> Path:
    from training.pipeline import compile_pipeline

    images = None
    if use_built_images:
        registry = f"{settings.images.registry}/{settings.images.repository}"
        images = {name: _in_registry(ref, registry) for name, ref in built_images(images_dir).items()}
    return compile_pipeline(config, output, images)


def list_runs(settings: Settings, limit: int) -> list[dict[str, Any]]:
    if _is_vertex(settings):
        from mlops_cli import vertex_runner

        return [asdict(record) for record in vertex_runner.list_runs(settings, limit)]
    return MetadataStore(settings.metadata_dir).list_runs(limit)


def show_run(settings: Settings, run_id: str) -> dict[str, Any]:
    if _is_vertex(settings):
        from mlops_cli import vertex_runner

        return asdict(vertex_runner.get_run(settings, run_id))
    return MetadataStore(settings.metadata_dir).get_run(run_id)


def lineage(settings: Settings, model_version: str) -> dict[str, Any]:
    if _is_vertex(settings):
        from mlops.metadata import MetadataError, lineage_from_record
        from mlops.registry import open_registry
        from mlops_cli import vertex_runner

        name, _, version = model_version.partition(":")
        vertex_runner.init_sdk(settings)
        registered = open_registry(settings.resolved_registry_uri()).get_version(name, version)
        run_id = registered.labels.get("mlops_run_id", "")
        if not run_id:
            raise MetadataError(f"{model_version} has no mlops_run_id label: it was not registered by `mlops run`")
        found = lineage_from_record(asdict(vertex_runner.get_run(settings, run_id)))
        # Vertex AI reports each task's output artifacts, not its output parameters: the version is ours.
        return {**found, "registry": {"model_name": name, "version": registered.version}}
    return MetadataStore(settings.metadata_dir).lineage(model_version)


def list_models(settings: Settings, model_name: str) -> list[Any]:
    from mlops.registry import open_registry

    return open_registry(settings.resolved_registry_uri()).list_versions(model_name)


def _in_registry(reference: str, registry: str) -> str:
    """Re-home `host/vertex-mlops/name:tag` into the environment's registry (same name and tag)."""
    name_and_tag = reference.rsplit("/", 1)[-1]
    return f"{registry}/{name_and_tag}"


def _absolute(uri: str) -> str:
    return uri if "://" in uri else str(Path(uri).resolve())


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
