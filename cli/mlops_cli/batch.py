"""`mlops batch-predict --config FILE`: run the batch prediction pipeline a config describes.

The same run as `mlops run --config FILE` (any runner: local, docker, vertex), refused unless the
config is a batch prediction config, and followed by where the predictions are. Kept in its own
module so that main.py only wires the subcommand in.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from mlops.config import Settings
from mlops_cli import report
from mlops_cli.errors import UsageError
from mlops_cli.pipelines import exit_code, load_pipeline, run_loaded

PIPELINE = "batch_prediction"
DEFAULT_CONFIG = "config/pipelines/churn-batch.yaml"


def add_parser(commands: Any) -> None:
    """Add `batch-predict` to the CLI's subcommands (`commands`: argparse's subparsers action)."""
    parser = commands.add_parser("batch-predict", help="predict a table with a registered model")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help=f"batch prediction config (default {DEFAULT_CONFIG})")
    parser.add_argument("--runner", choices=("local", "kfp-local", "docker", "vertex"), default="local")
    parser.add_argument("--wait", action="store_true", help="vertex: follow the run until it ends")
    parser.add_argument("--verbose", action="store_true", help="local, docker: stream the step's logs to stdout")
    parser.add_argument("--run-id", help="run id (default: PIPELINE-TIMESTAMP)")
    parser.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE", help="override a parameter")


def batch_predict(args: argparse.Namespace, settings: Settings) -> int:
    """Run the config's batch prediction; prints the run and where its predictions were written."""
    pipeline = load_pipeline(args.config)
    if pipeline.definition.name != PIPELINE:
        raise UsageError(
            f"{args.config}: runs the {pipeline.definition.name!r} pipeline; batch-predict needs a config "
            f"with `pipeline: {PIPELINE}` (docs/batch-prediction.md), or use `mlops run`"
        )
    record = run_loaded(pipeline, settings, args)
    print(report.run_details(asdict(record)))
    if record.status == "SUCCEEDED":
        print(f"predictions: {record.parameters.get('destination', '')}")
    return exit_code(record)
