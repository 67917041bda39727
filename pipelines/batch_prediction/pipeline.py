"""The batch prediction pipeline: one step (components/batch_predict) that scores a table with a
registered model in chunks and writes the predictions to one Parquet file or a BigQuery table, atomically.

`build_pipeline(config, images)` binds the step to the image Pants built for it and applies the
config's resources and retries; every setting becomes a pipeline parameter (defaults from the
config), so one compiled spec serves kfp.local, Docker and Vertex AI Pipelines. `DEFINITION` is
what the `mlops` CLI runs (`mlops run` or `mlops batch-predict`, mlops.pipeline_definition).
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kfp import dsl

from batch_predict.component import build_component as batch_predict_component
from batch_prediction.config import STEP, BatchPredictionConfig
from mlops import storage
from mlops.pipeline_definition import PipelineDefinition, PreflightError, Step, Stores
from mlops.pipeline_tasks import configure_task

# The prediction depends on which version is the registry's default at run time, not only on the
# step's inputs: never cached. It reads outside services (registry, GCS): retries their transient errors.
STEPS = (Step(STEP, "batch_predict", cacheable=False, transient=True),)


def run_name(config: BatchPredictionConfig) -> str:
    return f"{config.name}-batch-prediction"


def pipeline_parameters(config: BatchPredictionConfig, stores: Stores) -> dict[str, Any]:
    """The run's parameter values. Local paths are made absolute: steps may run in other folders
    (kfp.local) or containers (Docker, which mounts the folders of absolute-path parameters)."""
    batch = config.batch
    return {
        "source_uri": storage.absolute(batch.source),
        "registry_uri": stores.registry_uri,
        "model_name": batch.model_name,
        "version": batch.version,
        "destination": storage.absolute(batch.output),
        "key_columns": batch.key_columns,
        "chunk_rows": batch.chunk_rows,
        "csv_options": batch.csv.model_dump(),
    }


def build_pipeline(
    config: BatchPredictionConfig, images: Mapping[str, str], step_env: Mapping[str, str] | None = None
) -> Callable[..., Any]:
    """The KFP pipeline function for `config`, its step bound to `images["batch_predict"]` and given
    the environment variables `step_env` (how steps log: mlops.logs.step_logging_env)."""
    predict_op = batch_predict_component(images["batch_predict"])
    resources = config.resources_for(STEP)

    @dsl.pipeline(name=run_name(config), description=f"Predict {config.batch.source} with {config.batch.model_name}.")
    def batch_prediction(
        source_uri: str,
        registry_uri: str,
        model_name: str,
        version: str,
        destination: str,
        key_columns: list,
        chunk_rows: int,
        csv_options: dict,
    ) -> None:
        task = predict_op(
            source_uri=source_uri,
            registry_uri=registry_uri,
            model_name=model_name,
            version=version,
            destination=destination,
            key_columns=key_columns,
            chunk_rows=chunk_rows,
            csv_options=csv_options,
        )
        configure_task(task, STEPS[0], resources, step_env)

    return batch_prediction


def check_source(config: BatchPredictionConfig) -> None:
    """A local source file that does not exist stops the run before anything starts."""
    source = config.batch.source
    if "://" not in source and "*" not in source and not Path(source).exists():
        raise PreflightError(f"batch.source {source}: no such file or folder")


def prepare_destination(config: BatchPredictionConfig, parameters: Mapping[str, Any]) -> None:
    """Create the local folder the predictions go to, so a containerized step can have it mounted."""
    destination = str(parameters["destination"])
    if not destination.endswith(".parquet") and not destination.startswith("bq://"):
        raise PreflightError(f"destination {destination}: must be a .parquet file or bq://PROJECT.DATASET.TABLE")
    if "://" not in destination:
        Path(destination).parent.mkdir(parents=True, exist_ok=True)



DEFINITION = PipelineDefinition(
    name="batch_prediction",
    config_model=BatchPredictionConfig,
    steps=STEPS,
    run_name=run_name,
    parameters=pipeline_parameters,
    build=build_pipeline,
    preflight=check_source,
    preflight_parameters=prepare_destination,
)
