"""Helpers for tests of component images that Pants builds before the test runs.

A test target with `runtime_package_dependencies=["components/NAME:image"]` finds the image's
metadata in its sandbox at `components.NAME/image.docker-info.json`; these helpers read the exact
content-hash tag from it and run the image through the Docker SDK.
"""

from __future__ import annotations

from pathlib import Path

import docker

from mlops.images import INFO_FILE, content_hash_image


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
