"""Benchmark: image sizes and the bytes a fresh node pulls, against the budgets of docs/benchmarks.md.

    ./pants package images:: components:: && ./pants run bench:images [-- --json images.json]

Reads the images `./pants package` built for this commit (dist/*/*.docker-info.json) and reports:
  1. each image's size, and the part of it that is its own (the layers not in the base image);
  2. the bytes a fresh node pulls to run every step of the training pipeline: every layer of every
     component image, each layer counted once, measured as `docker save` of all of them (which
     writes each layer once) (goal: at most 1.5 GB);
  3. the largest layer a source-only change produces: a component's own layers, since a change to
     its code rebuilds those and nothing else (goal: at most 5 MB).
Sizes are uncompressed, as `docker image inspect` and `docker save` count them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import docker

from mlops.images import RECORDED_SIZES as RECORDED
from mlops.images import SOURCE_LAYER_BUDGET, ImagesError, built_images, content_hash_image

PULL_BUDGET = 1_500_000_000


def built(dist: Path) -> dict[str, str]:
    """Image name (`base`, `ingest`, ...) -> the content-hash reference Pants built, from dist/."""
    try:
        return {**built_images(dist), "base": content_hash_image(dist / "images.base" / "base.docker-info.json")}
    except ImagesError as error:
        sys.exit(f"bench: {error}\nbench: build them with `./pants package images:: components::`")


def layer_sizes(client: docker.DockerClient, reference: str) -> list[tuple[str, int]]:
    """(diff id, bytes) of each layer of the image, bottom first."""
    image = client.images.get(reference)
    diff_ids = image.attrs["RootFS"]["Layers"]
    # History lists every instruction, bottom last; the ones that made a layer have a size or are
    # not marked empty. Pair them with the diff ids in order.
    history = [entry for entry in reversed(client.api.history(reference)) if not _empty(entry)]
    if len(history) != len(diff_ids):
        sys.exit(f"bench: {reference}: {len(diff_ids)} layers but {len(history)} history entries with layers")
    return [(diff_id, int(entry["Size"])) for diff_id, entry in zip(diff_ids, history, strict=True)]


def _empty(entry: dict) -> bool:
    created_by = entry.get("CreatedBy", "")
    return entry["Size"] == 0 and "#(nop)" in created_by and " COPY " not in created_by and " ADD " not in created_by


def saved_bytes(references: list[str]) -> int:
    """Bytes of `docker save` of all the images: every distinct layer once, plus small manifests."""
    process = subprocess.Popen(["docker", "save", *references], stdout=subprocess.PIPE)
    total = 0
    assert process.stdout is not None
    while chunk := process.stdout.read(1 << 20):
        total += len(chunk)
    if process.wait() != 0:
        sys.exit("bench: docker save failed")
    return total


def measure(dist: Path) -> dict:
    client = docker.from_env()
    images = built(dist)
    base_layers = {diff_id for diff_id, _ in layer_sizes(client, images["base"])}
    sizes = {name: int(client.images.get(reference).attrs["Size"]) for name, reference in images.items()}
    components = [name for name in images if name != "base"]
    own = {  # the layers a component adds to the base: its first-party code
        name: [size for diff_id, size in layer_sizes(client, images[name]) if diff_id not in base_layers]
        for name in components
    }
    rows = {
        name: {
            "image": reference,
            "bytes": sizes[name],
            "own_bytes": sum(own[name]) if name in own else None,
            "largest_own_layer": max(own[name], default=0) if name in own else None,
        }
        for name, reference in images.items()
    }
    pull = saved_bytes([images[name] for name in components])
    largest_source_layer = max(max(own[name], default=0) for name in components)
    return {
        "images": rows,
        "pipeline_pull_bytes": pull,
        "sum_of_image_sizes": sum(sizes[name] for name in components),
        "largest_source_layer_bytes": largest_source_layer,
        "pull_within_budget": pull <= PULL_BUDGET,
        "source_layer_within_budget": largest_source_layer <= SOURCE_LAYER_BUDGET,
    }


def markdown(result: dict) -> str:
    mb = lambda value: f"{value / 1e6:,.1f}"  # noqa: E731
    lines = ["| image | size MB | its own layers MB |", "| --- | ---: | ---: |"]
    for name, row in result["images"].items():
        own = "-" if row["own_bytes"] is None else f"{row['own_bytes'] / 1e6:,.3f}"
        lines.append(f"| {name} | {mb(row['bytes'])} | {own} |")
    pull, total = result["pipeline_pull_bytes"], result["sum_of_image_sizes"]
    layer = result["largest_source_layer_bytes"]
    lines += [
        "",
        "| budget | measured | goal | ratio to goal |",
        "| --- | ---: | ---: | ---: |",
        f"| bytes to pull for the whole training pipeline | {mb(pull)} MB | {mb(PULL_BUDGET)} MB "
        f"| {pull / PULL_BUDGET:.2f} |",
        f"| largest layer a source-only change produces | {layer / 1e6:,.3f} MB | {mb(SOURCE_LAYER_BUDGET)} MB "
        f"| {layer / SOURCE_LAYER_BUDGET:.3f} |",
        "",
        f"Sum of the component images' sizes: {mb(total)} MB; shared layers make the pull {pull / total:.2f} of that.",
    ]
    return "\n".join(lines)


def record(result: dict) -> None:
    """Write each image's size to RECORDED (atomically), for the image tests' growth check."""
    sizes = {name: row["bytes"] for name, row in sorted(result["images"].items())}
    document = {
        "about": "Image sizes in bytes, written by `./pants run bench:images -- --record`. An image test fails "
        "when its image is more than 10% larger than recorded here.",
        "bytes": sizes,
    }
    temporary = RECORDED.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(RECORDED)
    print(f"recorded the sizes of {len(sizes)} images in {RECORDED}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dist", type=Path, default=Path("dist"), help="where `./pants package` wrote images")
    parser.add_argument("--json", type=Path, help="also write the result as JSON here")
    parser.add_argument("--record", action="store_true", help=f"write each image's size to {RECORDED}")
    args = parser.parse_args()
    result = measure(args.dist)
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    if args.record:
        record(result)
    return 0 if result["pull_within_budget"] and result["source_layer_within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
