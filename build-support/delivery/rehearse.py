"""Rehearse a Cloud Build config on this machine: each step in its image on the local Docker engine.

Google retired its local Cloud Build runner; this one does what a build does with the config: the
documented schema checked, substitutions applied (built-ins from the workspace's git, the config's
defaults, then `--substitution` overrides), and the steps run in order, each in a new container of
its `name` image with the workspace at /workspace, stopping at the first failure.

    rehearse.py --workspace CLONE [--config cloudbuild.yaml] [-s _KEY=VALUE ...] [--mount HOST:PATH ...]

Where it differs from Cloud Build, and why: steps use the host network (the local registry and the
package index are on this machine's network); the Docker socket is mounted (as Cloud Build does);
a named volume keeps Pants' cache between builds (in Cloud Build that would be a remote cache); and
this machine's CA bundle is mounted, as its package index is reached through a TLS-inspecting proxy.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from delivery import cloudbuild_config

CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
DEFAULT_CACHE_VOLUME = "vertex-mlops-rehearsal-pants-cache"


def git(workspace: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=workspace, check=True, capture_output=True, text=True).stdout.strip()


def substitutions(workspace: Path, config: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, str]:
    commit = git(workspace, "rev-parse", "HEAD")
    built_in = {
        "PROJECT_ID": "local-project", "PROJECT_NUMBER": "0", "BUILD_ID": str(uuid.uuid4()), "LOCATION": "local",
        "TRIGGER_NAME": "rehearsal", "COMMIT_SHA": commit, "REVISION_ID": commit, "SHORT_SHA": commit[:7],
        "REPO_NAME": workspace.name, "REPO_FULL_NAME": workspace.name,
        "BRANCH_NAME": git(workspace, "rev-parse", "--abbrev-ref", "HEAD"), "TAG_NAME": "", "REF_NAME": "",
        "TRIGGER_BUILD_CONFIG_PATH": "", "SERVICE_ACCOUNT_EMAIL": "", "SERVICE_ACCOUNT": "",
        "_HEAD_BRANCH": "", "_BASE_BRANCH": "", "_HEAD_REPO_URL": "", "_PR_NUMBER": "",
    }  # fmt: skip
    return {**built_in, **(config.get("substitutions") or {}), **overrides}


def docker_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        raise SystemExit(f"rehearse: DOCKER_HOST={host}: only a unix socket can be mounted into the steps")
    return host.removeprefix("unix://")


def step_command(step: Mapping[str, Any], options: Mapping[str, Any], workspace: Path, cache_volume: str,
                 mounts: Sequence[str]) -> list[str]:  # fmt: skip
    command = ["docker", "run", "--rm", "--network", "host", "-v", f"{workspace}:/workspace",
               "-w", str(Path("/workspace") / step.get("dir", "")), "-v", f"{docker_socket()}:/var/run/docker.sock",
               "-e", "DOCKER_HOST=unix:///var/run/docker.sock", "-v", f"{cache_volume}:/root/.cache/pants"]  # fmt: skip
    if CA_BUNDLE.is_file():
        command += ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"]
    for mount in mounts:
        command += ["-v", mount]
    for variable in [*options.get("env", []), *step.get("env", [])]:
        command += ["-e", variable]
    if "entrypoint" in step:
        command += ["--entrypoint", step["entrypoint"]]
    return [*command, step["name"], *step.get("args", [])]


def rehearse(workspace: Path, config_path: Path, overrides: Mapping[str, str], cache_volume: str,
             mounts: Sequence[str]) -> int:  # fmt: skip
    """Run the build; return 0, or the exit code of the step that failed."""
    config = cloudbuild_config.load(config_path)
    values = substitutions(workspace, config, overrides)
    unknown = set(overrides) - set(config.get("substitutions") or {}) - cloudbuild_config.BUILT_IN
    if unknown:
        raise SystemExit(f"rehearse: {config_path} declares no substitution {', '.join(sorted(unknown))}")
    build = cloudbuild_config.substitute(config, values)
    options = build.get("options", {})
    started = time.perf_counter()
    for index, step in enumerate(build["steps"]):
        label = f'Step #{index} - "{step.get("id", index)}"'
        command = " ".join([step.get("entrypoint", ""), *step.get("args", [])]).strip()
        print(f"rehearse: {label}: {step['name']} {command}", flush=True)
        step_started = time.perf_counter()
        process = subprocess.Popen(step_command(step, options, workspace, cache_volume, mounts),
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            print(f"{label}: {line}", end="", flush=True)
        if process.wait() != 0:
            took = time.perf_counter() - step_started
            print(f"rehearse: {label} failed (exit {process.returncode}) after {took:.1f}s; the build stops here, "
                  "later steps do not run", flush=True)  # fmt: skip
            return process.returncode
        print(f"rehearse: {label} done in {time.perf_counter() - step_started:.1f}s", flush=True)
    print(f"rehearse: build succeeded in {time.perf_counter() - started:.1f}s ({len(build['steps'])} steps)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rehearse", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, required=True, help="the checkout to build (a git clone)")
    parser.add_argument("--config", type=Path, help="build config (default: WORKSPACE/cloudbuild.yaml)")
    parser.add_argument("-s", "--substitution", action="append", default=[], metavar="_KEY=VALUE")
    parser.add_argument("--mount", action="append", default=[], metavar="HOST:PATH", help="extra volume for every step")
    parser.add_argument("--cache-volume", default=DEFAULT_CACHE_VOLUME, help="Docker volume for Pants' cache")
    args = parser.parse_args(argv)
    workspace = args.workspace.resolve()
    overrides = dict(item.split("=", 1) for item in args.substitution)
    try:
        return rehearse(workspace, args.config or workspace / "cloudbuild.yaml", overrides, args.cache_volume,
                        args.mount)  # fmt: skip
    except cloudbuild_config.CloudBuildConfigError as error:
        print(f"rehearse: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
