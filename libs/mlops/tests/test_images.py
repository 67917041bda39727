from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops.images import ImagesError, built_images, content_hash_image

HASH = "a" * 64


def write_info(dist: Path, component: str, info: object) -> Path:
    path = dist / f"components.{component}" / "image.docker-info.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(info))
    return path


def info_with_tags(component: str) -> dict:
    tags = [
        {"template": "latest", "tag": "latest", "name": f"localhost:5000/vertex-mlops/{component}:latest"},
        {"template": "{pants.hash}", "tag": HASH, "name": f"localhost:5000/vertex-mlops/{component}:{HASH}"},
    ]
    return {"registries": [{"address": "localhost:5000", "tags": tags}]}


def test_each_component_maps_to_its_content_hash_reference(tmp_path: Path) -> None:
    for component in ("train", "ingest"):
        write_info(tmp_path, component, info_with_tags(component))
    assert built_images(tmp_path) == {
        "ingest": f"localhost:5000/vertex-mlops/ingest:{HASH}",
        "train": f"localhost:5000/vertex-mlops/train:{HASH}",
    }


def test_missing_or_unreadable_metadata_names_the_folder_or_file(tmp_path: Path) -> None:
    with pytest.raises(ImagesError, match=f"no built images under {tmp_path}/"):
        built_images(tmp_path)
    no_hash = write_info(tmp_path, "train", {"registries": [{"tags": [{"template": "latest", "name": "x:latest"}]}]})
    with pytest.raises(ImagesError, match=rf"{no_hash}: unreadable image metadata \(no {{pants.hash}} tag\)"):
        content_hash_image(no_hash)
    no_hash.write_text("{")
    with pytest.raises(ImagesError, match=f"{no_hash}: unreadable image metadata"):
        built_images(tmp_path)
