"""Helpers for tests of component images that Pants builds before the test runs.

A test target with `runtime_package_dependencies=["components/NAME:image"]` finds the image's
metadata in its sandbox at `components.NAME/image.docker-info.json`; these helpers read the exact
content-hash tag from it and run the image through the Docker SDK.
"""

from __future__ import annotations

import json
from pathlib import Path

import docker

from mlops.images import INFO_FILE, RECORDED_SIZES, SOURCE_LAYER_BUDGET, content_hash_image


def built_image(component: str) -> str:
    """The content-hash tagged reference of the image Pants built for `component`."""
    return content_hash_image(Path(f"components.{component}") / INFO_FILE)


def run_image(
    image: str,
    command: list[str] | None = None,
    *,
    entrypoint: list[str] | None = None,
    volumes: dict[str, str] | None = None,
) -> str:
    """Run `image` to completion and return its stdout; raises ContainerError on a non-zero exit."""
    output = docker.from_env().containers.run(
        image,
        command,
        entrypoint=entrypoint,
        volumes={host: {"bind": inside, "mode": "rw"} for host, inside in (volumes or {}).items()},
        remove=True,
        stdout=True,
        stderr=False,
    )
    return output.decode()


def image_user(image: str) -> str:
    """The numeric uid the image runs as by default."""
    return run_image(image, entrypoint=["id", "-u"]).strip()


ALLOWED_GROWTH = 0.10


def assert_within_recorded_size(name: str, image: str) -> None:
    """Fail if `image` is more than 10% larger than the size recorded for `name`.

    The sizes are in images/recorded-sizes.json (the test target depends on `images:recorded-sizes`);
    `./pants run bench:images -- --record` rewrites them after an intended change. A component with
    no recorded size yet (a new one) may be the base's recorded size plus the source-layer budget.
    """
    recorded = json.loads(RECORDED_SIZES.read_text())["bytes"]
    size = int(docker.from_env().images.get(image).attrs["Size"])
    fix = "record the new sizes: `./pants package images:: components:: && ./pants run bench:images -- --record`"
    if name in recorded:
        limit, what = recorded[name] * (1 + ALLOWED_GROWTH), f"{ALLOWED_GROWTH:.0%} over the size recorded"
    else:
        limit, what = recorded["base"] + SOURCE_LAYER_BUDGET, "the base's recorded size plus 5 MB, the budget"
    assert size <= limit, (
        f"{image} is {size / 1e6:,.1f} MB, more than {what} for {name!r} in {RECORDED_SIZES} "
        f"({limit / 1e6:,.1f} MB); make it smaller or, if the growth is intended, {fix}"
    )
