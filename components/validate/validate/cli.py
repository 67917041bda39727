"""Command line of the validate image: `validate DATA.parquet (--schema FILE | --infer-schema-to FILE)`.

This is the entry point of the component's PEX and Docker image, so the exact production checks
can be run on a file by hand, or a schema inferred to start a hand-written one from. Exit codes:
0 when the data passes, 2 when it does not (or on bad input), with the message on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import PurePosixPath

from mlops import storage
from mlops.logs import configure_logging
from validate.core import Thresholds, raise_on_failure, render_html, render_markdown, validate_table
from validate.errors import ValidateError
from validate.schema import infer_schema, load_schema, save_schema
from validate.target import TargetRule

log = logging.getLogger("validate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="validate", description="Check a Parquet table against a schema.")
    parser.add_argument("data", help="Parquet file (local path or URI such as gs://)")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--schema", help="schema file to check against: .json, or .yaml/.yml")
    source.add_argument("--infer-schema-to", metavar="FILE", help="infer a schema from DATA and write it here")
    parser.add_argument("--report", help="write the violation report here: .md (Markdown) or .html")
    parser.add_argument("--max-violation-rate", type=float, default=0.0, metavar="R", help="0 (default) to 1")
    parser.add_argument("--target", default="", help="label column: must have no nulls (and fit --problem-type)")
    parser.add_argument("--problem-type", choices=("classification", "regression"), help="what --target must fit")
    parser.add_argument("--min-class-rows", type=int, default=1, metavar="N", help="classification: rows per class")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "validate"})
    report_format = PurePosixPath(args.report).suffix.lower() if args.report else ""
    if args.report and report_format not in (".md", ".html"):
        parser.error(f"--report must end in .md or .html, got {args.report!r}")
    try:
        thresholds = Thresholds(args.max_violation_rate)
        if args.schema:
            schema = load_schema(args.schema)
        else:
            schema = infer_schema(args.data)
            save_schema(schema, args.infer_schema_to)
        target = TargetRule(args.target, args.problem_type or "", args.min_class_rows) if args.target else None
        report = validate_table(args.data, schema, thresholds, target=target)
        if args.report:
            render = render_html if report_format == ".html" else render_markdown
            storage.write_text(args.report, render(report, schema, schema_source=args.schema))
        raise_on_failure([report])
    except ValidateError as error:
        log.error("validation failed: %s", error)
        print(f"validate: error: {error}", file=sys.stderr)
        return 2
    summary = {"rows": report.rows, "passed": True, "warnings": [w.message for w in report.warnings]}
    print(json.dumps({**summary, "schema": args.schema or args.infer_schema_to, "report": args.report}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
