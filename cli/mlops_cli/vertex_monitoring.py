"""`mlops monitor-vertex MODEL[:VERSION] --config PIPELINE_CONFIG`: Vertex AI Model Monitoring for a
registered version, from the same `monitoring:` section `mlops monitor` uses locally.

What is monitored comes from the pipeline config (its monitored raw inputs, thresholds and
windows); where and when from the environment (`serving.model_monitoring`: output folder, cron,
e-mails, Cloud Monitoring channels). The serving input is the endpoint the model is deployed to
(`serving.endpoint_name`, or --endpoint), whose request-response log Vertex reads, or a BigQuery
table (--table) with a `logging_time` column. The skew baseline is the training table: the
config's `data.source` when it is a bq:// table, else --training-table. Re-running updates the
version's monitor in place (mlops.monitoring.vertex).
"""

from __future__ import annotations

import argparse
from typing import Any

from mlops.config import Settings
from mlops_cli.errors import UsageError

COMMAND = "monitor-vertex"


def add_parser(commands: Any) -> None:
    """Add `monitor-vertex` to the CLI's subcommands (`commands`: argparse's subparsers action)."""
    parser = commands.add_parser(COMMAND, help="configure Vertex AI Model Monitoring for a model version")
    parser.add_argument("model_version", metavar="MODEL[:VERSION]", help="default: the `default` version")
    parser.add_argument("--config", required=True, help="the training pipeline config (its monitoring: section)")
    serving = parser.add_mutually_exclusive_group()
    serving.add_argument("--endpoint", help="the endpoint to watch (default: serving.endpoint_name)")
    serving.add_argument("--table", help="watch a BigQuery table instead: bq://PROJECT.DATASET.TABLE")
    parser.add_argument("--training-table", help="skew baseline, bq://... (default: data.source if bq://)")


def configure(args: argparse.Namespace, settings: Settings) -> int:
    """Create or update the version's monitor and its schedules; prints what is on Vertex AI."""
    from mlops.endpoints import parse_model_ref
    from mlops.endpoints.vertex import VertexEndpoints
    from mlops.monitoring.vertex import configure_vertex_monitor
    from mlops.pipeline_config import PipelineConfig
    from mlops.registry import open_registry
    from mlops_cli.pipelines import load_pipeline
    from mlops_cli.vertex_runner import init_sdk

    if settings.environment == "local":
        raise UsageError("environment 'local' has no Vertex AI project: use --env dev or prod (or `mlops monitor`)")
    watch = settings.serving.model_monitoring
    if not watch.output_uri:
        raise UsageError(f"{settings.environment}: serving.model_monitoring.output_uri is not set (a gs:// folder)")
    config = load_pipeline(args.config).config
    if not isinstance(config, PipelineConfig):
        raise UsageError(f"{args.config}: is not a training pipeline config (it has no monitoring: section)")
    training_table = args.training_table or (config.data.source if config.data.source.startswith("bq://") else "")
    if not training_table:
        raise UsageError(
            f"{args.config}: data.source {config.data.source!r} is not a BigQuery table; Vertex AI reads the "
            "skew baseline from one: give --training-table bq://PROJECT.DATASET.TABLE"
        )
    name, number = parse_model_ref(args.model_version)
    init_sdk(settings)
    registry = open_registry(settings.resolved_registry_uri())
    version = registry.get_version(name, number) if number else registry.get(name)
    if version is None:
        raise UsageError(f"model {name!r} has no default version in {registry!r}; give MODEL:VERSION")
    project, region = settings.gcp.project_id, settings.gcp.region
    serving = args.table
    if not serving:
        endpoints = VertexEndpoints(project, region, "", settings.serving)
        serving = endpoints.resource_name(args.endpoint or settings.serving.endpoint_for(name))
    numeric, categorical = config.monitored_features()
    result = configure_vertex_monitor(
        config.monitoring,
        version,
        numeric=numeric,
        categorical=categorical,
        serving=serving,
        training_table=training_table,
        cron=watch.cron,
        output_uri=f"{watch.output_uri.rstrip('/')}/{name}",
        project=project,
        location=region,
        emails=watch.emails,
        notification_channels=watch.notification_channels,
    )
    print(f"{'created' if result.created else 'updated'} {result.monitor} for {name}:{version.version}")
    print(f"watching {serving}; skew baseline {training_table}")
    for kind, schedule in sorted(result.schedules.items()):
        print(f"  {kind}: {schedule} ({watch.cron})")
    return 0
