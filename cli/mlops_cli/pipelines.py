"""Which pipeline a config file runs: its `pipeline:` key names a folder under pipelines/.

`pipeline: NAME` (default `training`) makes the CLI import `NAME.pipeline` and use its
`DEFINITION` (mlops.pipeline_definition); the rest of the file is validated by that pipeline's
config model. So a new pipeline needs no change here or in the runners (docs/adding-a-pipeline.md).
"""

from __future__ import annotations

import argparse
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mlops.cli_args import parse_assignments
from mlops.config import ConfigError, Settings, read_yaml_mapping, validate_model
from mlops.pipeline_definition import PipelineDefinition
from mlops.runs import RunRecord
from mlops_cli.errors import UsageError

if TYPE_CHECKING:
    from mlops_cli.warm_runner import WarmWorkers

DEFAULT_PIPELINE = "training"


@dataclass(frozen=True)
class LoadedPipeline:
    definition: PipelineDefinition[Any]
    config: BaseModel


def definition(name: str, where: str = "pipeline") -> PipelineDefinition[Any]:
    """The definition exposed as `DEFINITION` by pipelines/<name>/pipeline.py; `where` prefixes errors."""
    try:
        module = importlib.import_module(f"{name}.pipeline")
    except ModuleNotFoundError as error:
        if error.name not in (name, f"{name}.pipeline"):
            raise  # the pipeline exists but one of its imports is missing: a bug, not bad input
        raise ConfigError(f"{where}: {name!r}: no pipelines/{name}/pipeline.py in this build") from None
    found = getattr(module, "DEFINITION", None)
    if not isinstance(found, PipelineDefinition):
        raise ConfigError(f"{where}: {name!r}: pipelines/{name}/pipeline.py declares no DEFINITION")
    return found


def load_pipeline(path: str | Path) -> LoadedPipeline:
    """Read a pipeline config file: resolve its pipeline and validate the rest with its config model."""
    path = Path(path)
    data = dict(read_yaml_mapping(path))
    name = data.pop("pipeline", DEFAULT_PIPELINE)
    if not isinstance(name, str) or not name.isidentifier():
        raise ConfigError(f"{path}: pipeline: expected the name of a folder under pipelines/, got {name!r}")
    found = definition(name, f"{path}: pipeline")
    return LoadedPipeline(found, validate_model(found.config_model, data, path))


def run_loaded(
    pipeline: LoadedPipeline,
    settings: Settings,
    args: argparse.Namespace,
    enable_caching: bool = True,
    workers: WarmWorkers | None = None,
) -> RunRecord:
    """Run `pipeline` as the `run` and `batch-predict` commands' arguments say (runner, --set, ...);
    `workers`: a fork server already started for it (mlops_cli.warm_runner.warm_workers)."""
    from mlops_cli.commands import run_pipeline  # the runners' imports, only when something runs

    try:
        overrides = parse_assignments(args.set, "--set", "PARAM=VALUE")
    except ValueError as error:
        raise UsageError(str(error)) from None
    return run_pipeline(
        pipeline.definition,
        pipeline.config,
        settings,
        runner=args.runner,
        enable_caching=enable_caching,
        wait=args.wait,
        run_id=args.run_id,
        overrides=overrides,
        verbose=args.verbose,
        max_parallel=getattr(args, "max_parallel", None),
        workers=workers,
    )


def exit_code(record: RunRecord) -> int:
    """0 for a run that succeeded or is still going (a submitted Vertex AI run), else 1."""
    return 0 if record.status in ("SUCCEEDED", "RUNNING", "PENDING") else 1
