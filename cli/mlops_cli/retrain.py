"""Continuous training, locally: run the training pipeline, then deploy the version it registered as a canary.

`mlops monitor --retrain` calls `retrain` when skew or drift crossed its threshold, `mlops watch`
when new data landed. The training pipeline's champion/challenger gate decides: only a challenger
that wins is registered, and only a registered version is deployed, at `--canary-traffic` percent
next to the version the endpoint serves (promote or roll back with `mlops promote|rollback`).

Exit codes (with the monitor's 0 and 3): 4 a new version was registered (and deployed as a canary
when a local endpoint serves the model), 1 the training run failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mlops.config import Settings
from mlops.endpoints import EndpointError
from mlops_cli.errors import UsageError
from mlops_cli.pipelines import LoadedPipeline, exit_code, load_pipeline, run_loaded

EXIT_RUN_FAILED = 1
EXIT_REGISTERED = 4  # the challenger won: a new version is registered (and deployed as a canary)
TRAINING = "training"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options `monitor --retrain` and `watch` share."""
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE", help="override a parameter")
    parser.add_argument("--canary-traffic", type=int, default=10, help="percent for a new version (default 10)")


def training_pipeline(path: str | None, args: argparse.Namespace) -> LoadedPipeline:
    """The training config at `path`, checked with the other options before anything runs."""
    if not path:
        raise UsageError("--config: give the training pipeline config to retrain with")
    if not 1 <= args.canary_traffic <= 100:
        raise UsageError(f"--canary-traffic {args.canary_traffic}: give a whole percentage from 1 to 100")
    pipeline = load_pipeline(path)
    if pipeline.definition.name != TRAINING:
        raise UsageError(
            f"{path}: pipeline {pipeline.definition.name!r} is not a training pipeline; "
            f"--config needs a training config (pipeline: {TRAINING})"
        )
    return pipeline


def retrain(
    settings: Settings, pipeline: LoadedPipeline, args: argparse.Namespace, *, source: str = "", endpoint: str = ""
) -> int:
    """Run training (on `source` when given), then deploy a registered version to `endpoint`
    (default: the model's endpoint in the serving config) as a canary; an exit code."""
    from dataclasses import asdict

    from mlops_cli import report

    sets = [*args.set, f"source_uri={source}"] if source else list(args.set)
    where = f" on {source}" if source else ""
    print(f"retraining: {pipeline.definition.run_name(pipeline.config)}{where} ...", flush=True)
    run_args = argparse.Namespace(runner="local", set=sets, wait=False, run_id=None, verbose=False)
    record = run_loaded(pipeline, settings, run_args)
    print(report.run_details(asdict(record)), flush=True)
    if exit_code(record):
        print(f"mlops: training run {record.run_id} {record.status}: nothing registered or deployed", file=sys.stderr)
        return EXIT_RUN_FAILED
    register = record.task("register")
    number = str(register.outputs.get("Output") or "") if register and register.status == "SUCCEEDED" else ""
    name = str(record.parameters.get("model_name", ""))
    if not number:
        print(f"the champion stays: the challenger of run {record.run_id} did not beat {name}'s default version")
        return 0
    return _deploy_canary(settings, name, number, endpoint or settings.serving.endpoint_for(name), args)


def _deploy_canary(settings: Settings, name: str, number: str, endpoint: str, args: argparse.Namespace) -> int:
    from mlops.registry import open_registry
    from mlops_cli.deploy import deploy_version, endpoint_text, local_root

    ref = f"{name}:{number}"
    print(f"registered {ref}: the challenger won")
    if not (Path(local_root(settings)) / f"{endpoint}.json").is_file():
        print(f"no local endpoint {endpoint!r} serves {name}: {ref} is not deployed (`mlops deploy {ref}`)")
        return EXIT_REGISTERED
    version = open_registry(settings.resolved_registry_uri()).get_version(name, number)
    print(f"deploying {ref} to {endpoint!r} at {args.canary_traffic}% ...", flush=True)
    try:
        print(endpoint_text(deploy_version(settings, version, endpoint, args.canary_traffic)))
    except EndpointError as error:
        raise EndpointError(f"{ref} is registered but not deployed: {error}") from None
    return EXIT_REGISTERED


def serving_endpoint(settings: Settings, name: str, version: str) -> str:
    """The local endpoint serving `name:version` (its canary's parent), or "" if none does."""
    from mlops_cli.deploy import open_target

    endpoints: list[Any] = open_target(settings, "local").list_endpoints()
    for found in endpoints:
        if any((model.model_name, model.version) == (name, version) for model in found.models):
            return str(found.name)
    return ""
