"""`mlops`: run pipelines and inspect runs, lineage and registered models.

mlops run [--config FILE] [--env local|dev|prod] [--runner local|kfp-local|docker|vertex] [--wait]
mlops compile [--config FILE] [--output FILE]
mlops batch-predict [--config FILE] [--runner local|kfp-local|docker|vertex]   (mlops_cli.batch)
mlops runs list | mlops runs show RUN_ID
mlops lineage MODEL_NAME:VERSION
mlops models list MODEL_NAME
mlops deploy | predict | endpoints list | promote | rollback | undeploy (mlops_cli.deploy)
mlops schedule create|list|delete CONFIG   (mlops_cli.schedule)
mlops monitor --model NAME[:VERSION] --window 1d [--end TIME] [--report PATH]   (mlops_cli.monitor; exit 3: crossed)
      [--retrain --config TRAINING_CONFIG [--set k=v] [--canary-traffic 10]]   (exit 4: new version, a canary)
mlops monitor-vertex MODEL[:VERSION] --config FILE [--endpoint NAME | --table bq://...]   (mlops_cli.vertex_monitoring)
mlops watch --source DIR --config TRAINING_CONFIG [--interval 30] [--once]   (mlops_cli.watch)
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import NoReturn

from mlops.config import Settings, load_settings
from mlops_cli import batch, deploy, monitor, report, schedule, vertex_monitoring, watch
from mlops_cli.errors import describe, expected_errors
from mlops_cli.pipelines import exit_code, load_pipeline, run_loaded
from mlops_cli.stopping import RunCancelled
from mlops_cli.warm_runner import warm_workers

DEFAULT_CONFIG = "config/pipelines/churn.yaml"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mlops", description="Run and inspect vertex-mlops pipelines.")
    parser.add_argument("--env", default="local", help="environment config: local, dev, prod or a YAML path")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the pipeline a config names (default: training)")
    run.add_argument("--config", default=DEFAULT_CONFIG, help=f"pipeline config (default {DEFAULT_CONFIG})")
    run.add_argument("--runner", choices=("local", "kfp-local", "docker", "vertex"), default="local")
    run.add_argument("--no-cache", action="store_true", help="run every step even if a cached result exists")
    run.add_argument("--wait", action="store_true", help="vertex: follow the run until it ends")
    run.add_argument("--verbose", action="store_true", help="local, docker: stream every step's logs to stdout")
    run.add_argument(
        "--max-parallel", type=_positive, metavar="N", help="local, docker: independent steps at once (default: CPUs)"
    )
    run.add_argument("--run-id", help="run id (default: PIPELINE-TIMESTAMP)")
    run.add_argument("--set", action="append", default=[], metavar="PARAM=VALUE", help="override a parameter")

    compile_ = commands.add_parser("compile", help="compile the pipeline spec")
    compile_.add_argument("--config", default=DEFAULT_CONFIG)
    compile_.add_argument("--output", type=Path, default=Path("dist/pipelines/training.yaml"))
    compile_.add_argument("--built-images", action="store_true", help="pin the images built in dist/")
    compile_.add_argument("--with-defaults", action="store_true", help="the config's parameters as defaults")

    runs = commands.add_parser("runs", help="list or show runs").add_subparsers(dest="runs_command", required=True)
    runs.add_parser("list").add_argument("--limit", type=int, default=20)
    runs.add_parser("show").add_argument("run_id")

    commands.add_parser("lineage", help="where a registered model version came from").add_argument("model_version")
    models = commands.add_parser("models", help="registered models").add_subparsers(
        dest="models_command", required=True
    )
    models.add_parser("list").add_argument("model_name")
    batch.add_parser(commands)
    deploy.add_parsers(commands)
    schedule.add_parser(commands)
    monitor.add_parser(commands)
    vertex_monitoring.add_parser(commands)
    watch.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.env)
        if args.command in deploy.COMMANDS:
            return deploy.run(args, settings)
        if args.command in schedule.COMMANDS:
            return schedule.run(args, settings)
        if args.command == "run":
            return _run(args, settings)
        if args.command == monitor.COMMAND:
            return monitor.monitor(args, settings)
        if args.command == vertex_monitoring.COMMAND:
            return vertex_monitoring.configure(args, settings)
        if args.command == watch.COMMAND:
            return watch.watch(args, settings)
        if args.command == "batch-predict":
            return batch.batch_predict(args, settings)
        if args.command == "compile":
            from mlops_cli.commands import compile_spec

            pipeline = load_pipeline(args.config)
            spec = compile_spec(pipeline.definition, pipeline.config, settings, args.output, args.built_images)
            if args.with_defaults:
                from mlops_cli.spec_defaults import write_defaults

                write_defaults(spec, pipeline.definition, pipeline.config, settings)
            print(spec)
            return 0
        if args.command == "runs":
            from mlops_cli.commands import list_runs, show_run

            if args.runs_command == "list":
                print(report.runs_table(list_runs(settings, args.limit)))
            else:
                print(report.run_details(show_run(settings, args.run_id)))
            return 0
        if args.command == "lineage":
            from mlops_cli.commands import lineage

            print(report.lineage_text(lineage(settings, args.model_version)))
            return 0
        from mlops_cli.commands import list_models

        print(report.models_table(list_models(settings, args.model_name)))
        return 0
    except expected_errors() as error:
        print(f"mlops: error: {describe(error)}", file=sys.stderr)
        return 2
    except RunCancelled as cancelled:  # Ctrl-C or SIGTERM stopped a local run, which is recorded
        print(f"mlops: {cancelled.message}", file=sys.stderr)
        return cancelled.exit_code


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    # The local runner's fork server starts first: its imports overlap reading and checking the config.
    with warm_workers(args.runner == "local", report.progress) as workers:
        pipeline = load_pipeline(args.config)
        record = run_loaded(pipeline, settings, args, enable_caching=not args.no_cache, workers=workers)
    print(report.run_details(asdict(record)))
    return exit_code(record)


def console() -> NoReturn:
    """The `mlops` program (the PEX's entry point; `python -m mlops_cli.main`): `main`, then exit
    without tearing the interpreter down.

    A normal exit collects and frees every object of the ~2,000 modules a run imported: 0.1 s of a
    1 s cached re-run, after all the work is done. So once `main` has returned, and no thread is
    left, the exit handlers run (logging's flush among them), stdout and stderr are flushed, and the
    process ends. Every file the CLI writes is closed (and renamed into place) before `main` returns;
    an error or a thread still running takes the normal exit.
    """
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. stdout was a pipe that closed: the output did not all arrive
        code = code or 1
    os._exit(code)


if __name__ == "__main__":
    console()
