"""`mlops compile --with-defaults`: a spec that runs with no parameter values given.

What CI/CD publishes for the trigger functions (`{delivery.specs_uri}/{name}/latest.yaml`): they
submit the spec with only the values an event brings (e.g. the new object's URI), so every other
parameter needs the config's value as its default (mlops.pipeline_spec; docs/triggers.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from mlops import pipeline_spec
from mlops.config import Settings
from mlops.pipeline_definition import PipelineDefinition


def write_defaults(spec_path: Path, definition: PipelineDefinition[Any], config: BaseModel, settings: Settings) -> Path:
    """Rewrite the compiled spec at `spec_path` with the run parameters `mlops run` would pass
    (this environment's stores) as its parameters' defaults. Deterministic: the same config and
    images give the same bytes."""
    from mlops_cli.commands import run_parameters

    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    # No run id yet: the trigger functions add each run's lineage label when they submit it.
    values = run_parameters(definition, config, settings, {}, run_id="")
    if "git_commit" in values:
        # Left empty: a commit would make every spec differ at every commit, and CI/CD publishes
        # only the specs that changed. The published {commit}.yaml beside latest.yaml names it.
        values["git_commit"] = ""
    spec_path.write_text(yaml.safe_dump(pipeline_spec.with_defaults(spec, values), sort_keys=False), encoding="utf-8")
    return spec_path
