"""Command line of the register image: champion/challenger, registration and a look at versions.

    register champion MODEL TEST EVALUATION --registry URI --model-name NAME --metric auc [--margin 0.01]
    register register MODEL --evaluation E --decision D --registry URI --model-name NAME [--label k=v]
    register versions --registry URI --model-name NAME

The entry point of the component's PEX and Docker image, so the production code can be run by
hand. Each prints one JSON document; expected errors print `register: error: ...` and exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import Any

from mlops import storage
from mlops.cli_args import parse_assignments
from mlops.contracts import Decision, Registration
from mlops.logs import configure_logging
from mlops.registry import RegistryError, open_registry
from register.core import RegisterError
from register.steps import run_champion_challenger, run_register

log = logging.getLogger("register")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="register", description="Champion/challenger and model registration.")
    parser.add_argument("--log-format", choices=("json", "text"), default="json")
    commands = parser.add_subparsers(dest="command", required=True)

    champion = commands.add_parser("champion", help="score the registry's default version against a challenger")
    champion.add_argument("model", help="the challenger's bundle folder")
    champion.add_argument("test_data", help="the test split (Parquet)")
    champion.add_argument("evaluation", help="the challenger's evaluation JSON (evaluate's output)")
    champion.add_argument("--metric", required=True, help="deciding metric: auc, f1, log_loss, rmse, ...")
    champion.add_argument("--margin", type=float, default=0.0, help="how much better the challenger must be")

    register = commands.add_parser("register", help="register a bundle if the decision says so")
    register.add_argument("model", help="the bundle folder")
    register.add_argument("--model-uri", help="the URI the registry records for it (default: MODEL)")
    register.add_argument("--evaluation", required=True, help="evaluation JSON")
    register.add_argument("--decision", required=True, help="champion/challenger decision JSON")
    register.add_argument("--label", action="append", default=[], metavar="KEY=VALUE", help="a version label")
    register.add_argument("--serving-image", default="", help="Vertex AI: the model's serving container")

    versions = commands.add_parser("versions", help="list the versions of a registered model")
    for command in (champion, register, versions):
        command.add_argument("--registry", required=True, help="folder, gs:// URI or vertex://PROJECT/LOCATION")
        command.add_argument("--model-name", required=True)
    for command in (champion, register):
        command.add_argument("--output", help="also write the JSON document to this file")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(json_output=args.log_format == "json", labels={"component": "register"})
    try:
        document = _run(args, parser)
    except (RegisterError, RegistryError) as error:
        log.error("register %s failed: %s", args.command, error)
        print(f"register: error: {error}", file=sys.stderr)
        return 2
    text = json.dumps(document if isinstance(document, list) else document.to_json(), indent=2)
    if getattr(args, "output", None):
        storage.write_text(args.output, text + "\n")
    print(text)
    return 0


def _run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Decision | Registration | list[Any]:
    if args.command == "champion":
        return run_champion_challenger(
            args.model, args.test_data, args.evaluation, args.registry, args.model_name, args.metric, args.margin
        )
    if args.command == "register":
        try:
            labels = parse_assignments(args.label, "--label")
        except ValueError as error:
            parser.error(str(error))
        return run_register(
            args.model,
            args.model_uri or args.model,
            args.evaluation,
            args.decision,
            args.registry,
            args.model_name,
            labels,
            args.serving_image,
        )
    registry = open_registry(args.registry)
    return [version.to_dict() for version in registry.list_versions(args.model_name)]
