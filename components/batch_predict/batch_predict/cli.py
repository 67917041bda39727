"""Command line of the image: `batch_predict MODEL_DIR DATA OUTPUT`, the step's code run by hand.

This is the image's entry point (`python3 -m batch_predict`). Pipelines call the KFP wrapper
in component.py instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from batch_predict.core import BatchPredictError, run_batch_predict
from mlops.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="batch_predict", description="Runs the step on a model bundle."
    )
    parser.add_argument("model", help="model bundle folder (local path or URI such as gs://)")
    parser.add_argument("data", help="labelled Parquet dataset")
    parser.add_argument("output", help="where to write the result (JSON)")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "batch_predict"})
    try:
        result = run_batch_predict(args.model, args.data, args.output)
    except BatchPredictError as error:
        print(f"batch_predict: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(result)))
    return 0
