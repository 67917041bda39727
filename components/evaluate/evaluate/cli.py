"""Command line of the evaluate image: `evaluate MODEL_DIR TEST.parquet [--report report.html]`.

Prints the evaluation record (mlops.contracts.Evaluation). Pipelines call
`evaluate.component` instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from mlops.logs import configure_logging

from .core import EvaluateError, evaluate_model

log = logging.getLogger("evaluate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evaluate", description="Score a model bundle on a test split.")
    parser.add_argument("model_dir", help="model bundle folder (local path or URI)")
    parser.add_argument("test", help="test split (Parquet) with the feature and target columns")
    parser.add_argument("--report", help="also write an HTML report with plots to this file")
    parser.add_argument("--output", help="also write the evaluation JSON to this file")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "evaluate"})
    try:
        result = evaluate_model(args.model_dir, args.test)
    except EvaluateError as error:
        log.error("evaluate failed: %s", error)
        print(f"evaluate: error: {error}", file=sys.stderr)
        return 2
    summary = json.dumps(result.summary())
    if args.report:
        from .report import write_report  # matplotlib is slow to import: only when asked

        write_report(result, result.info, args.report)
    if args.output:
        result.record().write(args.output)
    log.info("evaluated %d rows", result.rows, extra={"fields": result.summary()})
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
