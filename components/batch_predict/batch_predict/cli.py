"""Command line of the image: `batch_predict SOURCE REGISTRY MODEL DESTINATION`, the step run by hand.

This is the image's entry point (`python3 -m batch_predict`). Pipelines call the KFP wrapper
in component.py instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from batch_predict.core import DEFAULT_CHUNK_ROWS, BatchPredictError, run_batch_predict
from mlops.logs import configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="batch_predict", description="Predict a table with a registered model.")
    parser.add_argument("source", help="CSV/Parquet file(s) to predict, local or gs://")
    parser.add_argument("registry", help="model registry: a folder, gs:// URI or vertex://PROJECT/LOCATION")
    parser.add_argument("model", help="registered model name")
    parser.add_argument("destination", help="Parquet file to write the predictions to (local or gs://)")
    parser.add_argument("--version", default="", help="model version (default: the registry's default)")
    parser.add_argument("--key-column", action="append", default=[], help="input column copied to the output")
    parser.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, help="rows predicted at a time")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "batch_predict"})
    try:
        result = run_batch_predict(
            args.source,
            args.registry,
            args.model,
            args.destination,
            version=args.version,
            key_columns=args.key_column,
            chunk_rows=args.chunk_rows,
        )
    except BatchPredictError as error:
        print(f"batch_predict: error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(asdict(result)))
    return 0
