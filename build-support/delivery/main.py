"""`deliver`: the steps of a delivery (cloudbuild.yaml) that need more than Pants itself.

    deliver --env ENV prepare --commit SHA   the base commit: the last deployed one, proved present
    deliver --env ENV specs --commit SHA     compile every pipeline, publish the specs that changed
    deliver --env ENV record --commit SHA    record the deploy (only after every step before it passed)
    deliver --env ENV docker-login           log the Docker CLI in to Artifact Registry (no gcloud)
    deliver --env TO promote --from FROM     copy FROM's deployed images and specs into TO (no rebuild)
    deliver --env ENV rollback --to COMMIT   make an earlier deploy of ENV current again (no rebuild)

State passes between steps in `.delivery/` of the workspace, as Cloud Build steps share /workspace.
Expected errors (bad record, unprovable history, config) print one line and exit 2; no traceback.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from delivery import history
from delivery.promote import promote, rollback
from delivery.records import DeployRecord, RecordError, read_record, write_record
from delivery.specs import changed, compile_all, publish, publish_to_kfp_repository
from mlops.config import ConfigError, Settings, load_settings
from mlops.images import ImagesError, built_images

STATE = Path(".delivery")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="deliver", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", required=True, help="environment config: local, dev, prod or a YAML path")
    parser.add_argument("--state", type=Path, default=STATE, help="folder the steps share (default .delivery)")
    steps = parser.add_subparsers(dest="step", required=True)
    prepare = steps.add_parser("prepare", help="find and prove the base commit")
    prepare.add_argument("--commit", required=True)
    prepare.add_argument("--artifact-registry", default="", help="the registry images are pushed to, if not local")
    steps.add_parser("specs", help="compile, then publish changed specs").add_argument("--commit", required=True)
    record = steps.add_parser("record", help="record the deploy")
    record.add_argument("--commit", required=True)
    record.add_argument("--build-id", default="")
    steps.add_parser("docker-login", help="docker login to the environment's Artifact Registry")
    promote_ = steps.add_parser("promote", help="copy another environment's deploy here")
    promote_.add_argument("--from", dest="source", required=True, help="the environment to promote from")
    promote_.add_argument("--build-id", default="")
    rollback_ = steps.add_parser("rollback", help="return to an earlier deploy")
    rollback_.add_argument("--to", dest="commit", required=True, help="a commit deployed to this environment before")
    return parser


def prepare(settings: Settings, state: Path, commit: str, artifact_registry: str) -> str:
    """Write `state/base`: the deployed commit to diff against, or nothing (build everything)."""
    if artifact_registry and artifact_registry != settings.images.registry:
        raise ConfigError(
            f"_ARTIFACT_REGISTRY is {artifact_registry!r} but environment {settings.environment!r} pulls from "
            f"{settings.images.registry!r} (images.registry): specs would name images nobody pushed there"
        )
    record = read_record(settings.delivery.deploy_records_uri, settings.environment)
    state.mkdir(parents=True, exist_ok=True)
    if record is None:
        base = ""
        print(f"prepare: nothing deployed to {settings.environment!r} yet: every image and spec is built")
    elif record.commit == commit:
        base = commit
        print(f"prepare: {commit[:12]} is already deployed to {settings.environment!r}: nothing has changed")
    else:
        base = history.ensure_base(Path.cwd(), record.commit, commit)
        print(f"prepare: {settings.environment!r} runs {base[:12]} (deployed {record.deployed_at}): selecting changes")
    (state / "base").write_text(base + "\n")
    return base


def specs(settings: Settings, state: Path, commit: str) -> dict[str, Any]:
    """Compile every pipeline with the images it will run, publish the changed specs, and leave what
    the record step writes in `state/deploy.json`."""
    record = read_record(settings.delivery.deploy_records_uri, settings.environment)
    try:
        built = built_images(Path("dist"))
    except ImagesError:
        built = {}  # no image changed
    images = {**(record.images if record else {}), **built}
    compiled = compile_all(settings, images, state / "specs")
    to_publish = changed(compiled, record.specs if record else {})
    for spec in to_publish:
        for uri in publish(spec, settings.delivery.specs_uri, commit):
            print(f"specs: {spec.name}: published {uri}")
        if settings.delivery.kfp_repository:
            uploaded = publish_to_kfp_repository(spec, settings.delivery.kfp_repository, commit)
            print(f"specs: {spec.name}: uploaded {uploaded}")
    unchanged = sorted({spec.name for spec in compiled} - {spec.name for spec in to_publish})
    if unchanged:
        print(f"specs: unchanged, not published: {', '.join(unchanged)}")
    deploy: dict[str, Any] = {
        "images": images,
        "built": sorted(built),
        "specs": {spec.name: spec.sha256 for spec in compiled},
        "published": [spec.name for spec in to_publish],
    }
    (state / "deploy.json").write_text(json.dumps(deploy, indent=2, sort_keys=True) + "\n")
    return deploy


def record(settings: Settings, state: Path, commit: str, build_id: str) -> str:
    deploy_file = state / "deploy.json"
    if not deploy_file.is_file():
        raise RecordError(f"{deploy_file}: missing; the specs step must run (and pass) before the record step")
    deploy = json.loads(deploy_file.read_text())
    written = DeployRecord(
        environment=settings.environment, commit=commit, build_id=build_id,
        images=deploy["images"], specs=deploy["specs"],
    )  # fmt: skip
    uri = write_record(settings.delivery.deploy_records_uri, written)
    print(f"record: {settings.environment!r} now runs {commit[:12]} ({uri})")
    return uri


def docker_login(settings: Settings) -> None:
    """`docker login` to the registry's host with the build's own credentials (an OAuth token from
    Application Default Credentials: the Cloud Build service account), so no gcloud is needed."""
    host = settings.images.registry.split("/", 1)[0]
    if not host.endswith(".pkg.dev"):
        print(f"docker-login: {host} is not Artifact Registry; nothing to do")
        return
    # Imported here: only this step talks to Google. google-auth comes with the Vertex AI SDK.
    import google.auth  # pants: no-infer-dep
    import google.auth.transport.requests  # pants: no-infer-dep

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(google.auth.transport.requests.Request())
    subprocess.run(["docker", "login", "-u", "oauth2accesstoken", "--password-stdin", f"https://{host}"],
                   input=credentials.token, text=True, check=True)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings(args.env)
        if args.step == "prepare":
            prepare(settings, args.state, args.commit, args.artifact_registry)
        elif args.step == "specs":
            specs(settings, args.state, args.commit)
        elif args.step == "record":
            record(settings, args.state, args.commit, args.build_id)
        elif args.step == "rollback":
            rollback(settings, args.commit)
        elif args.step == "promote":
            promote(load_settings(args.source), settings, args.build_id)
        else:
            docker_login(settings)
    except (ConfigError, RecordError, history.HistoryError, ImagesError) as error:
        print(f"deliver {args.step}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
