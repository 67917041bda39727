"""How every pipeline configures a step's task, written once (pipelines/*/pipeline.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops.pipeline_config import StepResources
from mlops.pipeline_definition import Step
from mlops.retries import RETRIES_ENV


def configure_task(task: Any, step: Step, resources: StepResources, step_env: Mapping[str, str] | None = None) -> Any:
    """`task` (a kfp PipelineTask) as `step` and the config's `resources` for it say; returns it.

    - `step_env`: the variables every step gets (how steps log: mlops.logs.step_logging_env);
    - the step's display name, what run records call it;
    - cpu and memory limits (Vertex AI; kfp.local ignores them);
    - `resources.retries`, for a step that talks to outside services: the step retries transient
      errors itself, and only those (mlops.retries); KFP's task retry would re-run a bad input too;
    - `resources.infrastructure_retries`: KFP's task retry, for Vertex AI's infrastructure failures;
    - no caching for a step whose result depends on more than its inputs.
    """
    for name, value in (step_env or {}).items():
        task.set_env_variable(name, value)
    task.set_display_name(step.name).set_cpu_limit(resources.cpu).set_memory_limit(resources.memory)
    if step.transient and resources.retries:
        task.set_env_variable(RETRIES_ENV, str(resources.retries))
    if resources.infrastructure_retries:
        task.set_retry(num_retries=resources.infrastructure_retries, backoff_duration="30s")
    if not step.cacheable:
        task.set_caching_options(False)
    return task


def configure_exit_task(task: Any, step: Step, step_env: Mapping[str, str] | None = None) -> Any:
    """An ExitHandler's exit task (notify), as `configure_task` without the config's resources and
    retries: the variables every step gets, its display name, and its caching as its Step says."""
    for name, value in (step_env or {}).items():
        task.set_env_variable(name, value)
    task.set_display_name(step.name)
    if not step.cacheable:
        task.set_caching_options(False)
    return task
