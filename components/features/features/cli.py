"""Command line of the features image: `features SPEC --split train=PATH ... --output-dir DIR ...`.

The entry point of the component's PEX and Docker image, to run the production code by hand.
Pipelines call `features.component` instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import yaml

from features.core import SPLITS, FeaturesError, build_features
from mlops.cli_args import parse_assignments
from mlops.feature_store import FeatureStoreError, open_store
from mlops.features import FeatureError, load_spec
from mlops.logs import configure_logging

log = logging.getLogger("features")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="features", description="Compute declared features, store them and write point-in-time training sets."
    )
    parser.add_argument("spec", type=Path, help="feature spec, YAML or JSON (see components/features/README.md)")
    parser.add_argument("--split", action="append", default=[], metavar="NAME=PATH", help="an input split (repeat)")
    parser.add_argument("--output-dir", type=Path, required=True, help="folder for <split>.parquet training sets")
    parser.add_argument("--label", required=True, help="label column, carried into the training sets")
    parser.add_argument(
        "--store", required=True, help="local folder, or vertex://PROJECT/LOCATION?dataset=D&online_store=S"
    )
    parser.add_argument("--view", required=True, help="feature view name")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "features"})
    try:
        splits = parse_assignments(args.split, "--split", "NAME=PATH")
    except ValueError as error:
        parser.error(str(error))
    if unknown := sorted(set(splits) - set(SPLITS)):
        parser.error(f"--split NAME must be one of {', '.join(SPLITS)}, got {unknown}")
    started = time.perf_counter()
    try:
        spec = load_spec(_read_spec(args.spec), str(args.spec))
        outputs = {split: str(args.output_dir / f"{split}.parquet") for split in splits}
        result = build_features(splits, spec, open_store(args.store), args.view, [args.label], outputs)
    except (FeaturesError, FeatureError, FeatureStoreError) as error:
        log.error("features failed: %s", error)
        print(f"features: error: {error}", file=sys.stderr)
        return 2
    summary = {
        "features": result.feature_names,
        "rows": dict(result.rows),
        "feature_rows": result.feature_rows,
        "online_rows": result.online_rows,
        "outputs": outputs,
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(summary))
    return 0


def _read_spec(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FeaturesError(f"{path}: cannot read feature spec: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise FeaturesError(f"{path}: invalid YAML: {error}") from None
    if not isinstance(data, dict):
        raise FeaturesError(f"{path}: expected a mapping with entity_column, timestamp_column and transforms")
    return data


if __name__ == "__main__":
    sys.exit(main())
