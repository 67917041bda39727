"""Command line of the ingest image: `ingest SOURCE OUTPUT_DIR [options]`.

This is the entry point of the component's PEX and Docker image, so a data engineer can run the
exact production code on a file by hand. Pipelines call `ingest.component` instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from ingest.core import SPLITS, IngestError, SplitSpec, ingest_to_parquet
from mlops.csv_files import CsvOptions
from mlops.logs import configure_logging

log = logging.getLogger("ingest")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ingest", description="Split a CSV/Parquet table into train/valid/test Parquet files."
    )
    parser.add_argument("source", help="CSV or Parquet file, glob or folder (local path or URI such as gs://)")
    parser.add_argument("output_dir", type=Path, help="folder for train.parquet, valid.parquet and test.parquet")
    parser.add_argument("--split", choices=("random", "time"), default="random", dest="method")
    parser.add_argument("--fractions", default="0.8,0.1,0.1", help="train,valid,test fractions (default 0.8,0.1,0.1)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--key-column", help="random split: keep rows with the same key together")
    parser.add_argument("--time-column", help="time split: column that orders rows in time")
    parser.add_argument("--csv-delimiter", default="", help="CSV field separator (default: detected)")
    parser.add_argument("--csv-no-header", action="store_true", help="the CSV's first line is data")
    parser.add_argument("--csv-null", action="append", default=[], metavar="MARKER", help="a missing-value marker")
    parser.add_argument("--csv-skip-bad-rows", action="store_true", help="drop and count unparsable CSV rows")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "ingest"})
    try:
        train, valid, test = (float(part) for part in args.fractions.split(","))
    except ValueError:
        parser.error(f"--fractions must be three comma-separated numbers, got {args.fractions!r}")
    spec = SplitSpec(args.method, train, valid, test, args.seed, args.key_column, args.time_column)
    outputs = {split: str(args.output_dir / f"{split}.parquet") for split in SPLITS}
    started = time.perf_counter()
    try:
        result = ingest_to_parquet(args.source, outputs, spec, csv=_csv_options(args))
    except IngestError as error:
        log.error("ingest failed: %s", error)
        print(f"ingest: error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    log.info("ingested %d rows in %.2fs", result.total_rows, seconds, extra={"fields": {"rows": dict(result.rows)}})
    summary = {"rows": dict(result.rows), "skipped_rows": result.skipped_rows, "outputs": outputs}
    print(json.dumps({**summary, "seconds": round(seconds, 3)}))
    return 0


def _csv_options(args: argparse.Namespace) -> CsvOptions:
    """The CSV options a pipeline config's data.csv gives, from the command line."""
    return CsvOptions(
        delimiter=args.csv_delimiter,
        header=not args.csv_no_header,
        null_values=tuple(args.csv_null),
        bad_rows="skip" if args.csv_skip_bad_rows else "error",
    )


if __name__ == "__main__":
    sys.exit(main())
