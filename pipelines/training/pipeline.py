"""The training pipeline: ingest -> validate -> features -> train -> evaluate -> serving check and
champion/challenger -> register (only if the challenger wins and the served model agrees with the
evaluated one), inside an exit handler that reports how the run ended.

`build_pipeline(config, images)` binds each step to the image Pants built for it and applies the
config's per-step resources and retries; data, feature and model settings become pipeline
parameters (defaults from the config), so one compiled spec serves every runner. `DEFINITION` is
what the `mlops` CLI runs (mlops.pipeline_definition).
"""

from collections.abc import Callable, Mapping
from typing import Any

from kfp import dsl

from evaluate.component import build_component as evaluate_component
from features.component import build_component as features_component
from ingest.component import build_component as ingest_component
from mlops.pipeline_config import PipelineConfig
from mlops.pipeline_definition import PipelineDefinition, Step, Stores
from mlops.pipeline_tasks import configure_exit_task, configure_task
from notify.component import build_component as notify_component
from register.component import build_components as register_components
from serve.component import build_component as serving_check_component
from train.component import build_component as train_component
from training.config_checks import check_parameters
from training.preflight import check_source
from validate.component import build_component as validate_component

# In the order a run that registers a model executes them; notify is the exit handler, so last.
STEPS = (
    # Ingest, features and register talk to outside services and may fail transiently: they get retries.
    Step("ingest", "ingest", transient=True),
    Step("validate", "validate"),
    Step("features", "features", transient=True),
    Step("train", "train"),
    Step("evaluate", "evaluate"),
    # Loads the model as the server will, in the serve image that will serve it (serve.check).
    Step("serving_check", "serve"),
    # Champion/challenger and register depend on the registry's current state, not only on their
    # inputs: never cached.
    Step("champion", "register", cacheable=False),
    Step("register", "register", cacheable=False, transient=True),
    # The exit handler reports how the run ended, which is not among its inputs: a cached result
    # would replay an old report and send no notification. Never cached.
    Step("notify", "notify", cacheable=False),
)
_STEPS = {step.name: step for step in STEPS}


def run_name(config: PipelineConfig) -> str:
    return f"{config.name}-training"


def pipeline_parameters(config: PipelineConfig, stores: Stores) -> dict[str, Any]:
    """The run's parameter values, from the config and the environment's stores."""
    return {
        "source_uri": config.data.source,
        "target": config.data.target,
        "problem_type": config.data.problem_type,
        "entity_column": config.data.entity_column,
        "timestamp_column": config.data.timestamp_column,
        "split_method": config.data.split.method,
        "train_fraction": config.data.split.train,
        "valid_fraction": config.data.split.valid,
        "test_fraction": config.data.split.test,
        "split_seed": config.data.split.seed,
        "csv_options": config.data.csv.model_dump(),
        "drop_columns": config.data.drop_columns,
        "schema_uri": config.validation.schema_file,
        "max_violation_rate": config.validation.max_violation_rate,
        # Empty key columns are derived by ingest (mlops.row_keys); the feature store uses the result.
        "feature_spec": {
            "entity_column": config.data.entity_key,
            "timestamp_column": config.data.event_time,
            "transforms": config.features.transforms,
        },
        "feature_transforms": config.features.transforms,  # the same, for the model bundle
        "feature_view": config.feature_view(),
        "feature_store_uri": stores.feature_store_uri,
        "numeric_features": config.features.numeric,
        "categorical_features": config.features.categorical,
        "model_type": config.model.type,
        "hyperparameters": config.model.params,
        "model_seed": config.model.seed,
        "baseline_numeric_bins": config.monitoring.numeric_bins,
        "baseline_top_categories": config.monitoring.top_categories,
        "champion_metric": config.champion.metric,
        "champion_margin": config.champion.margin,
        "registry_uri": stores.registry_uri,
        "model_name": config.registry.model_name,
        "model_labels": config.registry.labels,
        "webhook_secret": config.notify_webhook,
        "git_commit": "",
    }


def build_pipeline(
    config: PipelineConfig, images: Mapping[str, str], step_env: Mapping[str, str] | None = None
) -> Callable[..., Any]:
    """The KFP pipeline function for `config`, with every step bound to its image in `images`
    (component name -> reference; DEFINITION.unbuilt_images() where images are not used), and every
    task given the environment variables `step_env` (how steps log: mlops.logs.step_logging_env)."""
    ingest_op = ingest_component(images["ingest"])
    validate_op = validate_component(images["validate"])
    features_op = features_component(images["features"])
    train_op = train_component(images["train"])
    evaluate_op = evaluate_component(images["evaluate"])
    champion_op, register_op = register_components(images["register"])
    serving_check_op = serving_check_component(images["serve"])
    notify_op = notify_component(images["notify"])

    def configure(task: dsl.PipelineTask, step: str) -> dsl.PipelineTask:
        return configure_task(task, _STEPS[step], config.resources_for(step), step_env)

    @dsl.pipeline(name=run_name(config), description=f"Train, evaluate and register {config.name}.")
    def training(  # - one parameter per config setting is the point
        source_uri: str,
        target: str,
        problem_type: str,
        entity_column: str,
        timestamp_column: str,
        split_method: str,
        train_fraction: float,
        valid_fraction: float,
        test_fraction: float,
        split_seed: int,
        csv_options: dict,
        drop_columns: list,
        schema_uri: str,
        max_violation_rate: float,
        feature_spec: dict,
        feature_transforms: list,
        feature_view: str,
        feature_store_uri: str,
        numeric_features: list,
        categorical_features: list,
        model_type: str,
        hyperparameters: dict,
        model_seed: int,
        baseline_numeric_bins: int,
        baseline_top_categories: int,
        champion_metric: str,
        champion_margin: float,
        registry_uri: str,
        model_name: str,
        model_labels: dict,
        webhook_secret: str,
        git_commit: str,
    ) -> None:
        exit_task = notify_op(pipeline_name=run_name(config), webhook_secret=webhook_secret)
        configure_exit_task(exit_task, _STEPS["notify"], step_env)
        with dsl.ExitHandler(exit_task, name="training-steps"):
            ingest_task = configure(
                ingest_op(
                    source_uri=source_uri,
                    split_method=split_method,
                    train_fraction=train_fraction,
                    valid_fraction=valid_fraction,
                    test_fraction=test_fraction,
                    seed=split_seed,
                    key_column=entity_column,
                    time_column=timestamp_column,
                    csv_options=csv_options,
                    drop_columns=drop_columns,
                ),
                "ingest",
            )
            splits = ingest_task.outputs
            validate_task = configure(
                validate_op(
                    train_data=splits["train_data"],
                    valid_data=splits["valid_data"],
                    test_data=splits["test_data"],
                    schema_uri=schema_uri,
                    max_violation_rate=max_violation_rate,
                    target=target,
                    problem_type=problem_type,
                ),
                "validate",
            )
            features_task = configure(
                features_op(
                    train_data=splits["train_data"],
                    valid_data=splits["valid_data"],
                    test_data=splits["test_data"],
                    feature_spec=feature_spec,
                    label_column=target,
                    store_uri=feature_store_uri,
                    view_name=feature_view,
                ),
                "features",
            ).after(validate_task)
            train_task = configure(
                train_op(
                    train_data=features_task.outputs["train_features"],
                    valid_data=features_task.outputs["valid_features"],
                    target=target,
                    problem_type=problem_type,
                    numeric_features=numeric_features,
                    categorical_features=categorical_features,
                    model_type=model_type,
                    hyperparameters=hyperparameters,
                    seed=model_seed,
                    transforms=feature_transforms,
                    data_source=source_uri,
                    git_commit=git_commit,
                    image=images["train"],
                    # The monitoring baseline is of the raw inputs serving logs: ingest's split.
                    raw_train_data=splits["train_data"],
                    numeric_bins=baseline_numeric_bins,
                    top_categories=baseline_top_categories,
                ),
                "train",
            )
            evaluate_task = configure(
                evaluate_op(model=train_task.outputs["model"], test_data=features_task.outputs["test_features"]),
                "evaluate",
            )
            # Beside evaluate (both need only the model and test data): on Vertex AI and locally
            # (mlops_cli.dag_runner) they run at the same time, and either failing stops champion.
            serving_check_task = configure(
                serving_check_op(model=train_task.outputs["model"], test_data=splits["test_data"]),
                "serving_check",
            )
            # After the serving check: a model that cannot be served is not worth comparing.
            champion_task = configure(
                champion_op(
                    model=train_task.outputs["model"],
                    test_data=features_task.outputs["test_features"],
                    evaluation=evaluate_task.outputs["evaluation"],
                    registry_uri=registry_uri,
                    model_name=model_name,
                    metric=champion_metric,
                    margin=champion_margin,
                ),
                "champion",
            ).after(serving_check_task)
            with dsl.If(champion_task.outputs["Output"] == True, name="challenger-wins"):  # noqa: E712
                configure(
                    register_op(
                        model=train_task.outputs["model"],
                        evaluation=evaluate_task.outputs["evaluation"],
                        decision=champion_task.outputs["decision"],
                        registry_uri=registry_uri,
                        model_name=model_name,
                        labels=model_labels,
                        # Vertex AI serves the version with the image the serving check ran in.
                        serving_image=images["serve"],
                        serving_check=serving_check_task.outputs["check"],
                    ),
                    "register",
                )

    return training


DEFINITION = PipelineDefinition(
    name="training",
    config_model=PipelineConfig,
    steps=STEPS,
    run_name=run_name,
    parameters=pipeline_parameters,
    build=build_pipeline,
    preflight=check_source,
    preflight_parameters=check_parameters,
)
