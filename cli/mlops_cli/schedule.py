"""`mlops schedule create|list|delete CONFIG --env ENV`: Vertex AI PipelineJobSchedules from config.

The native alternative to the trigger functions (docs/triggers.md): Vertex AI starts the pipeline
on the config's `schedule:` cron (mlops.schedule_config), at most `max_concurrent_runs` at once and
never queued, as the environment's pipelines service account. The job is the one `mlops run
--runner vertex` would submit (the images Pants built, the config's parameters), built by the same
code (mlops_cli.vertex_runner.build_job). A schedule is named after the pipeline's run name
(e.g. churn-training), so one config has at most one schedule per environment.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlops.config import Settings
from mlops.runs import RunRecord, new_run_id
from mlops_cli.errors import UsageError
from mlops_cli.pipelines import LoadedPipeline, load_pipeline

COMMANDS = ("schedule",)


def add_parser(commands: Any) -> None:
    schedule = commands.add_parser("schedule", help="Vertex AI schedules of pipelines (a config's schedule: section)")
    actions = schedule.add_subparsers(dest="schedule_command", required=True)
    actions.add_parser("create", help="schedule the pipeline a config names").add_argument("config")
    actions.add_parser("list", help="the environment's pipeline schedules")
    actions.add_parser("delete", help="delete the schedule of the pipeline a config names").add_argument("config")


def run(args: argparse.Namespace, settings: Settings, credentials: Any = None) -> int:
    if settings.environment == "local":
        raise UsageError("mlops schedule: schedules live in Vertex AI; use --env dev or --env prod")
    if args.schedule_command == "list":
        for schedule in list_schedules(settings, credentials):
            print(f"{schedule.display_name}\t{schedule.state.name}\t{schedule.cron}\t{schedule.resource_name}")
        return 0
    pipeline = load_pipeline(args.config)
    if args.schedule_command == "create":
        print(f"mlops: created {create(pipeline, settings, Path(args.config), credentials)}")
        return 0
    deleted = delete(pipeline, settings, credentials)
    print("\n".join(f"mlops: deleted {name}" for name in deleted) or "mlops: no schedule to delete")
    return 0


def create(pipeline: LoadedPipeline, settings: Settings, config_path: Path, credentials: Any = None) -> str:
    """Create the config's schedule; refuses when the pipeline has one already (delete it first)."""
    from mlops_cli.commands import run_parameters, step_environment, step_images
    from mlops_cli.vertex_runner import build_job

    schedule = getattr(pipeline.config, "schedule", None)
    if schedule is None:
        raise UsageError(f"{config_path}: no schedule: section (cron, time_zone, max_concurrent_runs)")
    name = pipeline.definition.run_name(pipeline.config)
    if existing := _named(name, settings, credentials):
        raise UsageError(
            f"{name} is scheduled already ({existing[0].resource_name}); `mlops schedule delete {config_path}` first"
        )
    images = step_images(pipeline.definition, "vertex", settings)
    record = RunRecord(new_run_id(name), name, "vertex", settings.environment)
    spec = pipeline.definition.compile(
        pipeline.config, Path(f"dist/pipelines/{name}-schedule.yaml"), images, step_environment(settings)
    )
    # Each scheduled run gets these values; their lineage label stays empty (Vertex AI names the runs).
    parameters = run_parameters(pipeline.definition, pipeline.config, settings, {}, run_id="")
    job = build_job(spec, parameters, settings, record, credentials=credentials)
    created = job.create_schedule(
        cron=schedule.vertex_cron(),
        display_name=name,
        start_time=schedule.rfc3339(schedule.start_time),
        end_time=schedule.rfc3339(schedule.end_time),
        max_concurrent_run_count=schedule.max_concurrent_runs,
        allow_queueing=False,  # a run still going when the next is due: the next is skipped, not piled up
        service_account=settings.gcp.service_account,
    )
    return str(created.resource_name)


def list_schedules(settings: Settings, credentials: Any = None) -> list[Any]:
    from mlops_cli.vertex_runner import init_sdk

    aiplatform = init_sdk(settings, credentials)
    return list(aiplatform.PipelineJobSchedule.list(credentials=credentials))


def delete(pipeline: LoadedPipeline, settings: Settings, credentials: Any = None) -> list[str]:
    """Delete the schedule(s) of the config's pipeline; their resource names."""
    found = _named(pipeline.definition.run_name(pipeline.config), settings, credentials)
    for schedule in found:
        schedule.delete()
    return [schedule.resource_name for schedule in found]


def _named(name: str, settings: Settings, credentials: Any) -> list[Any]:
    from mlops_cli.vertex_runner import init_sdk

    aiplatform = init_sdk(settings, credentials)
    return list(aiplatform.PipelineJobSchedule.list(filter=f'display_name="{name}"', credentials=credentials))
