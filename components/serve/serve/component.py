"""KFP v2 wrapper of the serving check (`serve.check`), the training pipeline's step before register.

It runs in the serve image, the image Vertex AI serves the registered model with, so the check
loads the model with the very code and libraries that will serve it. `build_component` binds it to
one image reference, decided by the build, never hard-coded here.
"""

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output

LOCAL_IMAGE = "vertex-mlops/serve:latest"


def serving_check(
    model: Input[Model],
    test_data: Input[Dataset],
    metrics: Output[Metrics],
    check: Output[Artifact],
) -> float:
    """Load the model as the server will, check its predictions against the evaluated form on the
    raw test split, and measure single-row latency; fail (so nothing is registered) on any disagreement.

    Args:
        model: the bundle to check (train's output).
        test_data: the raw test split (ingest's output, Parquet): the rows as clients would send them.
        metrics: parity and latency as pipeline Metrics (serving_parity_max_abs_difference,
            serving_label_mismatches, serving_p50_ms, serving_p99_ms).
        check: the full result as JSON (serve.check.ServingCheck).

    Returns:
        The single-row p99 latency in milliseconds.
    """
    import json

    from mlops.logs import configure_step_logging
    from serve.check import check_serving

    configure_step_logging("serving-check")
    result = check_serving(model.path, test_data.path)
    for name, value in result.metrics().items():
        metrics.log_metric(name, value)
    # kfp.local never writes a Metrics artifact's file, and reuses a cached task only if every
    # output file exists: without this the check re-ran on every unchanged run.
    with open(metrics.path, "w") as stream:
        json.dump(dict(metrics.metadata), stream, indent=2)
    with open(check.path, "w") as stream:
        json.dump(result.to_json(), stream, indent=2)
    check.metadata.update(result.to_json())
    return result.p99_ms


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for the serve image."""
    return dsl.component(serving_check, base_image=image, install_kfp_package=False)
