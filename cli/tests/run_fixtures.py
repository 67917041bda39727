"""Settings, small pipeline configs and built-image metadata shared by the pipeline run tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from mlops.config import Settings
from mlops.pipeline_config import PipelineConfig

PIPELINES = Path(__file__).resolve().parents[2] / "config" / "pipelines"


def local_settings(root: Path) -> Settings:
    return Settings.model_validate(
        {
            "environment": "local",
            "storage_root": str(root / "data"),
            "metadata_dir": str(root / "metadata"),
            "gcp": {"project_id": "local-project", "pipeline_root": str(root / "pipeline-root")},
        }
    )


def small(config_file: str, rows: int = 3000, **changes: object) -> PipelineConfig:
    data = yaml.safe_load((PIPELINES / config_file).read_text())
    data["data"]["source"] = data["data"]["source"].split("?")[0] + f"?rows={rows}&seed=3"
    data["model"]["params"] = {"n_estimators": 30} if data["model"]["type"] != "linear" else {}
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for part in parents:
            node = node[part]
        node[int(leaf) if isinstance(node, list) else leaf] = value
    return PipelineConfig.model_validate(data)


def built(dist: Path, *components: str) -> Path:
    """Image metadata as `./pants package components/<name>:image` writes it."""
    for name in components:
        tag = {"template": "{pants.hash}", "name": f"localhost:5000/vertex-mlops/{name}:h"}
        info = {"registries": [{"tags": [tag]}]}
        (dist / f"components.{name}").mkdir(parents=True)
        (dist / f"components.{name}" / "image.docker-info.json").write_text(json.dumps(info))
    return dist
