"""KFP v2 wrappers of champion/challenger and register. The logic lives in `register.champion`
and `register.core`; these only map artifacts to paths.

Both run in the register image, which contains `register`, `mlops` and `kfp`. `build_components`
binds them to one image reference, decided by the build, never hard-coded here.
"""

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Model, Output

LOCAL_IMAGE = "vertex-mlops/register:latest"


def champion_challenger(
    model: Input[Model],
    test_data: Input[Dataset],
    evaluation: Input[Artifact],
    decision: Output[Artifact],
    registry_uri: str,
    model_name: str,
    metric: str,
    margin: float = 0.0,
) -> bool:
    """Score the registry's default version on the test data and decide whether the challenger wins.

    Args:
        model: the challenger's bundle (train's output).
        test_data: the test split the challenger was evaluated on (Parquet).
        evaluation: evaluate's record for the challenger (mlops.contracts.Evaluation).
        decision: the decision (mlops.contracts.Decision: `{"register", "metric", "higher_is_better",
            "margin", "challenger", "champion", "champion_version", "reason"}`).
        registry_uri: a folder or gs:// URI (local registry), or vertex://PROJECT/LOCATION.
        model_name: the registered model's name.
        metric: the deciding metric (auc, f1, log_loss, rmse, ...).
        margin: how much better, in the metric's units, the challenger must be.

    Returns:
        True if the challenger should be registered as the new default.
    """
    from mlops.logs import configure_step_logging
    from register.steps import run_champion_challenger

    configure_step_logging("champion")
    result = run_champion_challenger(
        model.path, test_data.path, evaluation.path, registry_uri, model_name, metric, margin
    )
    result.write(decision.path)
    decision.metadata.update(result.to_json())
    return result.register


def register(
    model: Input[Model],
    evaluation: Input[Artifact],
    decision: Input[Artifact],
    registered: Output[Artifact],
    registry_uri: str,
    model_name: str,
    labels: dict = {},  # noqa: B006 - KFP reads defaults from the signature; never mutated
    serving_image: str = "",
    serving_check: Input[Artifact] = None,  # KFP reads an optional input from the None default
) -> str:
    """Register the model as the new default version if the decision says so.

    Args:
        model: the bundle to register.
        evaluation: evaluate's record; a model without metrics is refused.
        decision: champion/challenger's record; nothing is registered unless `register` is true.
        registered: the new version's record, or why nothing was registered
            (mlops.contracts.Registration).
        registry_uri: a folder or gs:// URI (local registry), or vertex://PROJECT/LOCATION.
        model_name: the registered model's name.
        labels: labels of the new version (GCP label rules); `problem_type` is added.
        serving_image: Vertex AI only: the container image that serves the model.
        serving_check: the serving check's record (serve.check), if the pipeline ran one: it goes
            into the version's evaluation record and the model card.

    Returns:
        The new version ("1", "2", ...), or "" if nothing was registered.
    """
    from mlops.logs import configure_step_logging
    from mlops.retries import retry_transient
    from register.steps import run_register

    configure_step_logging("register")
    # The registry may be remote (Vertex AI Model Registry): its transient errors are tried again.
    record = retry_transient(
        lambda: run_register(
            model.path,
            model.uri,
            evaluation.path,
            decision.path,
            registry_uri,
            model_name,
            labels,
            serving_image,
            serving_check.path if serving_check is not None else None,
        ),
        what=f"register {model_name}",
    )
    record.write(registered.path)
    fields = record.to_json()
    registered.metadata.update({k: v for k, v in fields.items() if k in ("registered", "version", "resource_name")})
    return record.version or ""


def build_components(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The (champion_challenger, register) KFP components for `image`, the tag Pants built."""
    return (
        dsl.component(champion_challenger, base_image=image, install_kfp_package=False),
        dsl.component(register, base_image=image, install_kfp_package=False),
    )
