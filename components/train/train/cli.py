"""Command line of the train image: `train TRAIN.parquet VALID.parquet OUT_DIR --target ... [options]`.

The entry point of the component's PEX and Docker image, to run the exact production training by
hand. Pipelines call `train.component` instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from typing import Any

from mlops.cli_args import parse_assignments
from mlops.logs import configure_logging
from mlops.metrics import MODEL_TYPES, PROBLEM_TYPES

from .baseline import DEFAULT_NUMERIC_BINS, DEFAULT_TOP_CATEGORIES, model_baseline
from .core import TrainError, TrainSpec, save_model, train_model

log = logging.getLogger("train")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="train", description="Train a model and write it as a model bundle.")
    parser.add_argument("train", help="train split (Parquet; local path or URI)")
    parser.add_argument("valid", help="valid split (Parquet), for validation metrics")
    parser.add_argument("output_dir", help="folder to write the model bundle to")
    parser.add_argument("--target", required=True, help="label column")
    parser.add_argument("--problem-type", required=True, choices=PROBLEM_TYPES)
    parser.add_argument("--numeric", default="", help="comma-separated numeric feature columns")
    parser.add_argument("--categorical", default="", help="comma-separated categorical feature columns")
    parser.add_argument("--model-type", default="lightgbm", help=f"one of {', '.join(MODEL_TYPES)}")
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="hyperparameter (repeat)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--data-source", default="", help="URI of the source table, for the model card")
    parser.add_argument("--git-commit", default="")
    parser.add_argument("--image", default="")
    parser.add_argument(
        "--baseline-from", default="", metavar="RAW_TRAIN", help="raw train split: also write baseline.json from it"
    )
    parser.add_argument("--numeric-bins", type=int, default=DEFAULT_NUMERIC_BINS, help="baseline quantile bins")
    parser.add_argument("--top-categories", type=int, default=DEFAULT_TOP_CATEGORIES, help="baseline categories")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    return parser


def parse_params(items: list[str]) -> dict[str, Any]:
    """`NAME=VALUE` pairs; values are read as JSON when they parse (numbers, true, null), else as text."""
    params: dict[str, Any] = {}
    for name, text in parse_assignments(items, "--param", "NAME=VALUE").items():
        try:
            params[name] = json.loads(text)
        except ValueError:
            params[name] = text
    return params


def _columns(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "train"})
    try:
        params = parse_params(args.param)
    except ValueError as error:
        parser.error(str(error))
    spec = TrainSpec(
        args.target,
        args.problem_type,
        _columns(args.numeric),
        _columns(args.categorical),
        args.model_type,
        params,
        args.seed,
    )
    started = time.perf_counter()
    try:
        bundle = train_model(
            args.train, args.valid, spec, data_source=args.data_source, git_commit=args.git_commit, image=args.image
        )
        baseline = None
        if args.baseline_from:
            bins = {"numeric_bins": args.numeric_bins, "top_categories": args.top_categories}
            baseline = model_baseline(bundle.info, args.baseline_from, **bins)
    except TrainError as error:
        log.error("train failed: %s", error)
        print(f"train: error: {error}", file=sys.stderr)
        return 2
    save_model(bundle, args.output_dir, baseline)
    seconds = time.perf_counter() - started
    summary = {
        "model_dir": args.output_dir,
        "model_type": bundle.info.model_type,
        "rows": bundle.info.data_snapshot["rows"],
        "validation_metrics": bundle.info.validation_metrics,
        "seconds": round(seconds, 3),
    }
    log.info("trained %s in %.2fs", bundle.info.model_type, seconds, extra={"fields": summary})
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
