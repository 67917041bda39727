"""`mlops deploy | predict | endpoints list | promote | rollback | undeploy`: thin over mlops.endpoints.

mlops deploy MODEL[:VERSION] [--target local|vertex] [--endpoint NAME] [--traffic PCT] [--docker] [--port N]
mlops predict ENDPOINT --instances FILE.json|- [--target local|vertex]
mlops endpoints list [--target local|vertex]
mlops promote ENDPOINT            (all traffic to the newest model / the local canary, undeploy the others)
mlops rollback ENDPOINT [--target local|vertex]
mlops undeploy ENDPOINT [--target local|vertex]

Without --target, a command on an ENDPOINT uses the local endpoint of that name if one is
recorded, else Vertex AI (environments other than `local`). docs/deploying.md has the details.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

from mlops import storage
from mlops.config import Settings, default_config_dir
from mlops.endpoints import TARGETS, Endpoint, EndpointError, LocalEndpoints, VertexEndpoints, parse_model_ref
from mlops_cli.errors import UsageError

COMMANDS = ("deploy", "predict", "endpoints", "promote", "rollback", "undeploy")


def add_parsers(commands: Any) -> None:
    """Add the deployment commands to `mlops`' subcommands."""
    deploy = commands.add_parser("deploy", help="serve a registered model version at an endpoint")
    deploy.add_argument("model_version", metavar="MODEL[:VERSION]", help="default: the model's `default` version")
    deploy.add_argument("--target", choices=TARGETS, default="local")
    deploy.add_argument("--endpoint", help="endpoint name (default: serving.endpoint_name in the config)")
    deploy.add_argument("--traffic", type=int, default=100, help="percent for the new version (a canary)")
    deploy.add_argument("--docker", action="store_true", help="local: run the server in its image")
    deploy.add_argument("--image", default="", help="local: the serving image (default: components/serve's build)")
    deploy.add_argument("--port", type=int, help="local: the port on 127.0.0.1 (default: a free one)")
    predict = commands.add_parser("predict", help="send instances to an endpoint, print its predictions")
    predict.add_argument("endpoint")
    predict.add_argument("--instances", required=True, help='JSON file ([...] or {"instances": [...]}), - for stdin')
    predict.add_argument("--target", choices=TARGETS)
    listing = commands.add_parser("endpoints", help="endpoints").add_subparsers(dest="endpoints_command", required=True)
    listing.add_parser("list").add_argument("--target", choices=TARGETS)
    for name, text in (
        ("promote", "the newest model (a local endpoint: its canary) takes all traffic, the others stop"),
        ("rollback", "restore the split before the last change"),
        ("undeploy", "stop serving"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("endpoint")
        command.add_argument("--target", choices=TARGETS)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run one deployment command; expected errors propagate to `main`, which prints one line."""
    if args.command == "deploy":
        print(endpoint_text(_deploy(args, settings)))
    elif args.command == "predict":
        instances = _read_instances(args.instances)
        print(json.dumps(_target(settings, args.target, args.endpoint).predict(args.endpoint, instances), indent=2))
    elif args.command == "endpoints":
        wanted = [args.target] if args.target else ["local"] + (["vertex"] if settings.environment != "local" else [])
        found = [e for target in wanted for e in open_target(settings, target).list_endpoints()]
        print("\n".join(endpoint_text(e) for e in found) if found else "no endpoints: deploy one with `mlops deploy`")
    else:
        backend = _target(settings, args.target, args.endpoint)
        print(endpoint_text(getattr(backend, args.command)(args.endpoint)))
    return 0


def _deploy(args: argparse.Namespace, settings: Settings) -> Endpoint:
    """Resolve MODEL[:VERSION] in the environment's registry and deploy it to the chosen target."""
    from mlops.registry import open_registry

    name, number = parse_model_ref(args.model_version)
    endpoint = args.endpoint or settings.serving.endpoint_for(name)
    backend = open_target(settings, args.target)  # the Vertex AI SDK is set up before the registry is read
    registry = open_registry(settings.resolved_registry_uri())
    version = registry.get_version(name, number) if number else registry.get(name)
    if version is None:
        raise EndpointError(f"model {name!r} has no default version in {registry!r}; give MODEL:VERSION")
    if isinstance(backend, VertexEndpoints):
        if args.docker or args.image or args.port:
            raise UsageError("--docker, --image and --port are for --target local")
        return backend.deploy(version, endpoint, traffic=args.traffic)
    image = args.image or (_serving_image() if args.docker else "")
    return backend.deploy(version, endpoint, port=args.port, image=image, traffic=args.traffic)


def deploy_version(settings: Settings, version: Any, endpoint: str, traffic: int) -> Endpoint:
    """Deploy a registered version to a local endpoint at `traffic` percent (below 100: a canary);
    what `mlops monitor --retrain` and `mlops watch` do with a version that won its gate."""
    return open_target(settings, "local").deploy(version, endpoint, traffic=traffic)


def open_target(settings: Settings, target: str) -> Any:
    """The endpoints of `target` for this environment."""
    if target == "vertex":
        from mlops_cli.vertex_runner import init_sdk

        if settings.environment == "local":
            raise UsageError("environment 'local' has no Vertex AI project: use --env dev or prod, or --target local")

        init_sdk(settings)
        history = storage.join(settings.storage_root, "endpoints", "vertex")
        return VertexEndpoints(settings.gcp.project_id, settings.gcp.region, history, settings.serving)
    timeout = settings.serving.health_timeout_seconds
    rate = settings.serving.request_logging.sampling_rate  # the share Vertex AI logs, sampled locally too
    root, command = local_root(settings), _server_command()
    return LocalEndpoints(root, command=command, env=_server_env(), health_timeout=timeout, request_sample_rate=rate)


def _target(settings: Settings, target: str | None, endpoint: str) -> Any:
    """`--target`, else local when a local endpoint of that name is recorded, else Vertex AI."""
    if target:
        return open_target(settings, target)
    local = open_target(settings, "local")
    if settings.environment == "local" or (Path(local_root(settings)) / f"{endpoint}.json").is_file():
        return local
    return open_target(settings, "vertex")


def local_root(settings: Settings) -> str:
    """Where local deployments are recorded: under the storage root, or `.mlops/endpoints/local`
    when the storage root is a bucket (a server on this machine is recorded on this machine)."""
    if storage.is_local(settings.storage_root):
        return storage.join(settings.storage_root, "endpoints", "local")
    return str(Path(".mlops", "endpoints", "local"))


def _server_command() -> list[str]:
    """`python -m serve` (components/serve), or the command in $MLOPS_SERVE_COMMAND."""
    override = os.environ.get("MLOPS_SERVE_COMMAND", "")
    return shlex.split(override) if override else [sys.executable, "-m", "serve"]


def _server_env() -> dict[str, str]:
    """In a checkout, `python -m serve` imports components/serve and the shared library from it:
    the CLI never imports the server (layering), so its PEX holds neither all of serve's code nor
    every lib module serve uses."""
    root = default_config_dir().parent.resolve()
    if not (root / "components" / "serve" / "serve").is_dir():
        return {}
    paths = [str(root / "components" / "serve"), str(root / "libs"), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(filter(None, paths))}


def _serving_image() -> str:
    """The serving image `./pants package components/serve:image` built (content-hash tag)."""
    from mlops.images import ImagesError, built_images

    image = built_images(Path("dist")).get("serve")
    if not image:
        raise ImagesError("the serving image is not built under dist/: run `./pants package components/serve:image`")
    return image


def _read_instances(source: str) -> list[Any]:
    """The instances of a JSON file or stdin: a list, or `{"instances": [...]}`; UsageError otherwise."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        data = json.loads(text)
    except OSError as error:
        raise UsageError(f"--instances {source}: cannot read it: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"--instances {source}: not JSON: {error}") from None
    instances = data.get("instances") if isinstance(data, dict) else data
    if not isinstance(instances, list) or not instances:
        raise UsageError(f'--instances {source}: expected a non-empty JSON list, or {{"instances": [...]}}')
    return instances


def endpoint_text(endpoint: Endpoint) -> str:
    """An endpoint for the terminal: name, target, status, address, then one line per model."""
    status = f" [{endpoint.status}]" if endpoint.status else ""
    lines = [f"{endpoint.name} ({endpoint.target}){status}: {endpoint.address}"]
    for model in endpoint.models:
        machines = f", {model.machine_type} x{model.min_replicas}-{model.max_replicas}" if model.machine_type else ""
        lines.append(f"  {model.model_name}:{model.version}  {model.traffic}%  (id {model.id}{machines})")
    return "\n".join(lines if endpoint.models else [*lines, "  no model deployed"])
