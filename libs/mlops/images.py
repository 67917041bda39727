"""The component images Pants built: their content-hash references, from `image.docker-info.json`.

`./pants package` writes `components.NAME/image.docker-info.json` for each image (under dist/, or
next to a test that depends on the image). The `{pants.hash}` tag is a hash of the image's inputs,
so a reference with it pins exactly the code of this commit.
"""

from __future__ import annotations

import json
from pathlib import Path

INFO_FILE = "image.docker-info.json"
HASH_TEMPLATE = "{pants.hash}"
# Image size budgets (docs/benchmarks.md): what a component's own code may add to the base image, and
# each image's size when last recorded (`./pants run bench:images -- --record`).
SOURCE_LAYER_BUDGET = 5_000_000
RECORDED_SIZES = Path("images/recorded-sizes.json")


class ImagesError(Exception):
    """Images were not built, or their metadata is unreadable. The message names the file."""


def content_hash_image(info_file: Path) -> str:
    """The image reference with the content-hash tag, from one `image.docker-info.json`."""
    try:
        info = json.loads(info_file.read_text())
        tags = [tag for registry in info["registries"] for tag in registry["tags"]]
        return next(tag["name"] for tag in tags if tag["template"] == HASH_TEMPLATE)
    except (OSError, ValueError, KeyError, TypeError, StopIteration) as error:
        problem = f"no {HASH_TEMPLATE} tag" if isinstance(error, StopIteration) else repr(error)
        raise ImagesError(f"{info_file}: unreadable image metadata ({problem}); rebuild the images") from None


def built_images(dist_dir: Path = Path("dist")) -> dict[str, str]:
    """Map component name -> content-hash image reference, from `./pants package components::` output."""
    images = {
        info_file.parent.name.removeprefix("components."): content_hash_image(info_file)
        for info_file in sorted(dist_dir.glob(f"components.*/{INFO_FILE}"))
    }
    if not images:
        raise ImagesError(f"no built images under {dist_dir}/; run `./pants package components::` first")
    return images
