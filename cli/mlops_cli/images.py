"""Which image each component runs in: the content-hash tags Pants built for this commit."""

from __future__ import annotations

import json
from pathlib import Path


class ImagesError(Exception):
    """Images were not built, or their metadata is unreadable."""


def built_images(dist_dir: Path = Path("dist")) -> dict[str, str]:
    """Map component name -> content-hash image reference, from `./pants package components::` output."""
    images: dict[str, str] = {}
    for info_file in sorted(dist_dir.glob("components.*/image.docker-info.json")):
        component = info_file.parent.name.removeprefix("components.")
        try:
            info = json.loads(info_file.read_text())
            tags = [tag for registry in info["registries"] for tag in registry["tags"]]
            images[component] = next(tag["name"] for tag in tags if tag["template"] == "{pants.hash}")
        except (OSError, ValueError, KeyError, StopIteration) as error:
            raise ImagesError(f"{info_file}: unreadable image metadata ({error}); rebuild the images") from None
    if not images:
        raise ImagesError(f"no built images under {dist_dir}/; run `./pants package components::` first")
    return images
