"""kfp.local's DAG loop, with independent tasks at the same time and Vertex AI's failure rule.

kfp.local runs a DAG's tasks one at a time, in an order that can change from run to run (its
topological sort walks a protobuf map). This module replaces its two DAG loops
(`dag_orchestrator.run_dag`, `enhanced_dag_orchestrator.run_enhanced_dag`) for a local run
(sdk_internals.concurrent_dags), and keeps everything else of kfp.local: a task still runs through
its `execute_task` (caching, inputs, outputs, nested DAGs, which come back here) and conditions,
ParallelFor and exit tasks keep its semantics. What changes:

- **At the same time.** A task starts as soon as every task it depends on has finished, up to
  `max_parallel` container tasks at once (DAG tasks, which only wait, do not count).
- **One order.** Ready tasks start in a fixed order: the DAG's topological order with ties broken by
  task name (Kahn's algorithm), so with `max_parallel` 1 a run always takes the same path.
- **Failures as on Vertex AI.** A failed task stops only what depends on it (transitively, unless the
  task runs on `ALL_UPSTREAM_TASKS_COMPLETED`); its siblings run on. Exit tasks run after the body,
  whatever it did. The DAG fails if any task failed.
- **Stopping.** After a cancellation (`cancel()`, on Ctrl-C or SIGTERM) no task starts.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import heapq
import threading
from collections.abc import Callable, Iterator
from typing import Any

from kfp.local import io, status
from kfp.local.orchestrator import enhanced_dag_orchestrator as kfp_dag
from kfp.local.orchestrator.orchestrator_utils import OrchestratorUtils
from kfp.pipeline_spec import pipeline_spec_pb2

_ALL_COMPLETED = pipeline_spec_pb2.PipelineTaskSpec.TriggerPolicy.TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED
Outputs = dict[str, Any]


class DagRunner:
    """Runs DAGs with at most `max_parallel` container tasks at once (shared by nested DAGs)."""

    def __init__(self, max_parallel: int) -> None:
        if max_parallel < 1:
            raise ValueError(f"max_parallel must be 1 or more, got {max_parallel}")
        self.max_parallel = max_parallel
        self._slots = threading.BoundedSemaphore(max_parallel)
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Start no more tasks (the running ones are being stopped by the caller)."""
        self._cancelled.set()

    def run_dag(
        self,
        pipeline_resource_name: str,
        dag_component_spec: pipeline_spec_pb2.ComponentSpec,
        executors: dict[str, Any],
        components: dict[str, pipeline_spec_pb2.ComponentSpec],
        dag_arguments: dict[str, Any],
        pipeline_root: str,
        runner: Any,
        unique_pipeline_id: str,
        fail_stack: list[str],
        parent_io_store: io.IOStore | None = None,
    ) -> tuple[Outputs, status.Status]:
        """kfp.local's DAG loop signature (either of its two): (outputs, status) of the DAG."""
        store = io.IOStore(parent=parent_io_store)
        arguments = OrchestratorUtils.join_user_inputs_and_defaults(
            dag_arguments=dag_arguments, dag_inputs_spec=dag_component_spec.input_definitions
        )
        for key, value in arguments.items():
            store.put_parent_input(key, value)
        tasks = dict(dag_component_spec.dag.tasks)
        exits = sorted(name for name, spec in tasks.items() if _is_exit(spec))
        body = {name: spec for name, spec in tasks.items() if name not in exits}

        def execute(name: str, spec: pipeline_spec_pb2.PipelineTaskSpec) -> tuple[Outputs, status.Status]:
            arguments = dict(
                task_name=name, task_spec=spec, pipeline_resource_name=pipeline_resource_name,
                components=components, executors=executors, io_store=store, pipeline_root=pipeline_root,
                runner=runner, unique_pipeline_id=unique_pipeline_id, fail_stack=fail_stack,
            )  # fmt: skip
            if spec.WhichOneof("iterator"):  # ParallelFor: kfp.local's own loop over the items
                parallel = kfp_dag.ParallelExecutor()
                failed = kfp_dag._run_parallel_for_task(**arguments, parallel_executor=parallel)
                return {}, status.Status.FAILURE if failed else status.Status.SUCCESS
            if components[spec.component_ref.name].WhichOneof("implementation") == "dag":
                return kfp_dag.execute_task(**arguments)  # comes back to run_dag, in this thread
            with self._slots:
                if self._cancelled.is_set():
                    return {}, status.Status.FAILURE
                return kfp_dag.execute_task(**arguments)

        failed = self._run_tasks(body, store, execute, fail_stack)
        for name in exits:  # after the body, whatever it did, one at a time
            outputs, task_status = execute(name, tasks[name])
            failed |= self._finish(name, outputs, task_status, store, fail_stack)
        if failed:
            return {}, status.Status.FAILURE
        return OrchestratorUtils.get_dag_outputs(dag_outputs_spec=dag_component_spec.dag.outputs, io_store=store), (
            status.Status.SUCCESS
        )

    def _run_tasks(
        self,
        tasks: dict[str, pipeline_spec_pb2.PipelineTaskSpec],
        store: io.IOStore,
        execute: Callable[[str, pipeline_spec_pb2.PipelineTaskSpec], tuple[Outputs, status.Status]],
        fail_stack: list[str],
    ) -> bool:
        """Run `tasks` as their dependencies allow; True if any failed (or was stopped by a failure)."""
        upstream = {name: {d for d in spec.dependent_tasks if d in tasks} for name, spec in tasks.items()}
        downstream: dict[str, set[str]] = {name: set() for name in tasks}
        for name, deps in upstream.items():
            for dep in deps:
                downstream[dep].add(name)
        waiting = {name: len(deps) for name, deps in upstream.items()}
        ready = [name for name, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        broken: set[str] = set()  # failed, or not run because something they need failed
        failed = False
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(len(tasks), 1)) as pool, self._cancel_on_exit():
            running: dict[concurrent.futures.Future[tuple[Outputs, status.Status]], str] = {}
            while ready or running:
                while ready and not self._cancelled.is_set():
                    name = heapq.heappop(ready)
                    spec = tasks[name]
                    needs = upstream[name] & broken
                    if needs and spec.trigger_policy.strategy != _ALL_COMPLETED:
                        store.put_task_status(name, "FAILED")  # as kfp.local: not run, counted failed
                        broken.add(name)
                        failed = True
                        self._release(name, downstream, waiting, ready)
                    elif spec.trigger_policy.condition and not kfp_dag.ConditionEvaluator.evaluate_condition(
                        spec.trigger_policy.condition, store
                    ):
                        self._release(name, downstream, waiting, ready)  # a branch not taken
                    else:
                        running[pool.submit(execute, name, spec)] = name
                if not running:
                    break
                done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: running[f]):
                    name = running.pop(future)
                    outputs, task_status = future.result()
                    if self._finish(name, outputs, task_status, store, fail_stack):
                        broken.add(name)
                        failed = True
                    self._release(name, downstream, waiting, ready)
        return failed or self._cancelled.is_set()

    @contextlib.contextmanager
    def _cancel_on_exit(self) -> Iterator[None]:
        """A signal (RunCancelled) or an error unwinding this DAG: no task of any DAG starts after it."""
        try:
            yield
        except BaseException:
            self.cancel()
            raise

    @staticmethod
    def _finish(
        name: str, outputs: Outputs, task_status: status.Status, store: io.IOStore, fail_stack: list[str]
    ) -> bool:
        """Record a finished task in the DAG's store; True if it failed."""
        if task_status == status.Status.FAILURE:
            store.put_task_status(name, "FAILED")
            fail_stack.append(name)
            return True
        store.put_task_status(name, "SUCCEEDED")
        for key, output in outputs.items():
            store.put_task_output(name, key, output)
        return False

    @staticmethod
    def _release(name: str, downstream: dict[str, set[str]], waiting: dict[str, int], ready: list[str]) -> None:
        for child in downstream[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, child)


def _is_exit(spec: pipeline_spec_pb2.PipelineTaskSpec) -> bool:
    """An ExitHandler's exit task: runs on completion and takes the final status (kfp.local's test)."""
    return spec.trigger_policy.strategy == _ALL_COMPLETED and any(
        parameter.HasField("task_final_status") for parameter in spec.inputs.parameters.values()
    )
