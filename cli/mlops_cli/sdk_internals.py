"""Every private part of kfp.local and the Vertex AI SDK that mlops patches or calls, in one place.

The runners need a few things the SDKs do not offer publicly: kfp.local has no hook for "a task
started/ended" or "a task attempt reached the executor", nor for extra Docker volumes, and starts
every step in the caller's process group, where the step cannot be stopped with its children; a Vertex
AI PipelineJob has no public way to refresh its resource or get its console link. These internals
change without notice, so each use first checks that the installed version is the one this module
was written for (the locked one, 3rdparty/python/default.lock) and otherwise fails naming both.
Upgrading kfp or google-cloud-aiplatform: check the attributes named in USES still behave as used
here, then update WRITTEN_FOR.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

WRITTEN_FOR = {"kfp": "2.17.3", "google-cloud-aiplatform": "2.7.0"}
USES = {
    "kfp": (
        "kfp.local.orchestrator.task_executor.execute_single_task",
        "kfp.local.task_dispatcher.run_single_task_implementation",
        "kfp.local.docker_task_handler.DockerTaskHandler.get_volumes_to_mount",
        "kfp.local.docker_task_handler.run_docker_container",
        "kfp.local.subprocess_task_handler.run_local_subprocess",
        "kfp.local.orchestrator.dag_orchestrator.run_dag",
        "kfp.local.orchestrator.enhanced_dag_orchestrator (run_enhanced_dag, execute_task, ConditionEvaluator, "
        "ParallelExecutor, _run_parallel_for_task)",
        "kfp.local.orchestrator.orchestrator_utils.OrchestratorUtils",
        "kfp.local.subprocess_task_handler.replace_python_executable",
        "kfp.dsl.component_factory._get_command_and_args_for_lightweight_component",
        "kfp.dsl.pipeline_task.PipelineTask._ensure_container_spec_exists",
        "kfp/__init__.py reading _KFP_RUNTIME",
    ),
    "google-cloud-aiplatform": ("PipelineJob._dashboard_uri", "PipelineJob._sync_gca_resource"),
}


class SdkVersionError(Exception):
    """The installed SDK is not the version whose internals mlops was written against."""


def check_version(package: str, installed: str | None = None) -> None:
    """Raise SdkVersionError unless `installed` (default: what is installed) is the version written for."""
    expected = WRITTEN_FOR[package]
    installed = installed or importlib.metadata.version(package)
    if installed != expected:
        raise SdkVersionError(
            f"mlops was written for {package} {expected}, but {package} {installed} is installed; "
            f"it relies on private parts of {package} ({', '.join(USES[package])}): check them and update "
            f"WRITTEN_FOR in cli/mlops_cli/sdk_internals.py, or install {package}=={expected}"
        )


# A task's display name and component name, and a call that runs it and returns kfp's
# (outputs, status name); returns nothing (kfp's own result is passed on).
AroundTask = Callable[[str, str, Callable[[], tuple[Any, str]]], None]


@contextlib.contextmanager
def local_task_hooks(around_task: AroundTask, on_attempt: Callable[[str], None]) -> Iterator[None]:
    """Call `around_task` for every task kfp.local runs, and `on_attempt(component)` for every
    attempt that reaches an executor (a cache hit never does). Tasks run without their KFP retry
    policy (`set_retry`, for Vertex AI's infrastructure failures): one attempt each."""
    check_version("kfp")
    from kfp.local import task_dispatcher
    from kfp.local.orchestrator import task_executor

    original_task = task_executor.execute_single_task
    original_dispatch = task_dispatcher.run_single_task_implementation

    def dispatch(*args: Any, **kwargs: Any) -> Any:
        on_attempt(kwargs.get("component_name", "?"))
        return original_dispatch(*args, **kwargs)

    def execute(task_name: str, task_spec: Any, *args: Any, **kwargs: Any) -> Any:
        result: list[Any] = []
        # kfp.local would re-run a failed task as its KFP retry policy says, whatever failed it; a
        # local run has no infrastructure to fail, and steps retry transient errors themselves.
        local_spec = type(task_spec)()
        local_spec.CopyFrom(task_spec)
        local_spec.ClearField("retry_policy")

        def run() -> tuple[Any, str]:
            result.extend(original_task(task_name, local_spec, *args, **kwargs))
            return result[0], result[1].name

        around_task(task_spec.task_info.name or task_name, task_spec.component_ref.name, run)
        return tuple(result)

    task_executor.execute_single_task = execute
    task_dispatcher.run_single_task_implementation = dispatch
    try:
        yield
    finally:
        task_executor.execute_single_task = original_task
        task_dispatcher.run_single_task_implementation = original_dispatch


@contextlib.contextmanager
def extra_docker_volumes(paths: Sequence[str]) -> Iterator[None]:
    """Mount `paths` (absolute host folders) into every DockerRunner container at the same path."""
    check_version("kfp")
    from kfp.local import docker_task_handler

    handler = docker_task_handler.DockerTaskHandler
    original = handler.get_volumes_to_mount

    def volumes(self: Any, client: Any = None) -> dict[str, Any]:
        found = original(self, client)
        for path in paths:
            found.setdefault(path, {"bind": path, "mode": "rw"})
        return found

    handler.get_volumes_to_mount = volumes
    try:
        yield
    finally:
        handler.get_volumes_to_mount = original


# Starts one step instead of a subprocess: (command, environment, started, ended) -> its exit
# code, or None when it cannot (the step then starts as a subprocess). mlops_cli.warm_runner.
StepStarter = Callable[[list[str], dict[str, str], Callable[[Any], None], Callable[[Any], None]], "int | None"]


def executor_program() -> str:
    """The `sh -ec` program kfp.local runs for every lightweight component, as SubprocessRunner
    (use_venv=False) runs it: with this interpreter in place of `python3`."""
    check_version("kfp")
    from kfp.dsl import component_factory
    from kfp.local import subprocess_task_handler

    def probe() -> None:
        """A component kfp generates the command of; the program does not depend on it."""

    command, _ = component_factory._get_command_and_args_for_lightweight_component(probe)
    return str(subprocess_task_handler.replace_python_executable(command[:3], sys.executable)[2])


@contextlib.contextmanager
def extra_docker_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Give every DockerRunner container `variables` as well as the task's own (which win)."""
    check_version("kfp")
    from kfp.local import docker_task_handler

    original = docker_task_handler.run_docker_container

    def run(*args: Any, **kwargs: Any) -> int:
        kwargs["environment"] = {**variables, **(kwargs.get("environment") or {})}
        return int(original(*args, **kwargs))

    docker_task_handler.run_docker_container = run
    try:
        yield
    finally:
        docker_task_handler.run_docker_container = original


@contextlib.contextmanager
def local_step_sessions(
    started: Callable[[Any], None], ended: Callable[[Any], None], start: StepStarter | None = None
) -> Iterator[None]:
    """Start every SubprocessRunner step in a session of its own (so in its own process group, with
    whatever it starts), reporting its process to `started`, and to `ended` once it has exited.
    With `start`, each step is first offered to it (warm workers), which reports its own processes.

    The rest is kfp.local's `run_local_subprocess`: the step's output, stdout and stderr merged,
    printed line by line, then a blank line; returns the exit code.
    """
    check_version("kfp")
    from kfp.local import subprocess_task_handler

    original = subprocess_task_handler.run_local_subprocess

    def run(full_command: list[str], env_vars: dict[str, str] | None = None) -> int:
        if start is not None:
            code = start(full_command, {**os.environ, **(env_vars or {})}, started, ended)
            if code is not None:
                return code
        env = {**os.environ, **env_vars} if env_vars else None
        with subprocess.Popen(
            full_command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            env=env,
            start_new_session=True,
        ) as process:
            started(process)
            try:
                if process.stdout:
                    for line in iter(process.stdout.readline, ""):
                        print(line, end="")
                    print("\n")
                return process.wait()
            finally:
                ended(process)

    subprocess_task_handler.run_local_subprocess = run
    try:
        yield
    finally:
        subprocess_task_handler.run_local_subprocess = original


@contextlib.contextmanager
def concurrent_dags(runner: Any) -> Iterator[None]:
    """Run every kfp.local DAG (both of its DAG loops) with `runner.run_dag` (mlops_cli.dag_runner)."""
    check_version("kfp")
    from kfp.local.orchestrator import dag_orchestrator, enhanced_dag_orchestrator

    originals = dag_orchestrator.run_dag, enhanced_dag_orchestrator.run_enhanced_dag
    dag_orchestrator.run_dag = enhanced_dag_orchestrator.run_enhanced_dag = runner.run_dag
    try:
        yield
    finally:
        dag_orchestrator.run_dag, enhanced_dag_orchestrator.run_enhanced_dag = originals


@contextlib.contextmanager
def quick_task_checks() -> Iterator[None]:
    """Build pipelines without kfp's `inspect.stack()` in every task setter.

    Each `PipelineTask` setter (set_env_variable, set_cpu_limit, ...) checks that the task has a
    container by calling `inspect.stack()`, which reads the source of every frame, only to name
    itself in the error. That was 0.5 s of the training pipeline's 0.54 s build (45 calls), paid by
    every `mlops run`. The same check and message, with the caller's name read from its frame.
    """
    check_version("kfp")
    from kfp.dsl import pipeline_task

    task = pipeline_task.PipelineTask
    original = task._ensure_container_spec_exists

    def ensure(self: Any) -> None:
        if self.container_spec is None:
            caller = sys._getframe(1).f_code.co_name
            raise ValueError(
                f"{caller} can only be used on single-step components, not pipelines used as components, "
                "or special components like importers."
            )

    task._ensure_container_spec_exists = ensure
    try:
        yield
    finally:
        task._ensure_container_spec_exists = original


def import_kfp_without_client() -> None:
    """Import the `kfp` package without what its `__init__` adds for `kfp.Client` users.

    `import kfp` imports kfp.client (the Kubeflow Pipelines API client: Kubernetes, requests,
    google-auth's crypto) unless `_KFP_RUNTIME` is "true", which is how a step imports it. The CLI
    never uses that client, and it was 0.16 s and 1,200 modules of every command's start. So the
    package itself is imported as a step imports it; `kfp.dsl`, the compiler and kfp.local, imported
    after with the variable unset, are the whole compile-time SDK. `kfp.Client`, `kfp.dsl` and
    `kfp.components` are still there when asked for (imported then).
    """
    if "kfp" in sys.modules or os.environ.get("_KFP_RUNTIME") == "true":
        return
    check_version("kfp")
    os.environ["_KFP_RUNTIME"] = "true"
    try:
        import kfp
    finally:
        del os.environ["_KFP_RUNTIME"]

    def lazy(name: str) -> Any:
        if name == "Client":
            from kfp.client import Client

            return Client
        if name in ("dsl", "components", "client"):
            return importlib.import_module(f"kfp.{name}")
        raise AttributeError(f"module 'kfp' has no attribute {name!r}")

    kfp.__getattr__ = lazy  # PEP 562: asked only when an attribute is not found


def console_link(job: Any) -> str:
    """The Cloud console page of a submitted PipelineJob."""
    check_version("google-cloud-aiplatform")
    return str(job._dashboard_uri())


def refresh(job: Any) -> None:
    """Re-read a PipelineJob's resource (state, task details) from the API."""
    check_version("google-cloud-aiplatform")
    job._sync_gca_resource()
