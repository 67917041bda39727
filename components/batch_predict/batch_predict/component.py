"""The KFP v2 wrapper of the step. The logic lives in core.py; this only maps artifacts to paths.

The function runs in the component's image (the base image plus this package), which contains
`batch_predict`, `mlops`, `kfp`, scikit-learn and LightGBM. `build_component` binds it to one image
reference chosen by the build (the content-hash tag Pants built), never hard-coded here. Do not add
`from __future__ import annotations` to this file: KFP reads the real annotation objects.
"""

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Metrics, Model, Output


def batch_predict(
    model: Input[Model],
    data: Input[Dataset],
    metrics: Output[Metrics],
    result: Output[Artifact],
) -> float:
    """One line saying what the step does.

    Args:
        model: a model bundle folder written by the train component.
        data: a labelled dataset (Parquet) with the model's feature and target columns.
        metrics: the model's metrics on `data`.
        result: JSON `{"problem_type", "primary_metric", "metrics", "rows"}` for the steps that follow.

    Returns:
        The primary metric: AUC (classification) or RMSE (regression).
    """
    import json

    from batch_predict.core import run_batch_predict
    from mlops import storage
    from mlops.logs import configure_step_logging

    configure_step_logging("batch_predict")

    found = run_batch_predict(model.path, data.path, result.path)
    for name, value in found.metrics.items():
        metrics.log_metric(name, value)
    result.metadata.update({"rows": found.rows, "primary_metric": found.primary_metric})
    # kfp.local never writes a Metrics artifact's file, and a task whose output file is missing is
    # never a cache hit: write its metadata ourselves (Vertex AI reads the metadata, not the file).
    storage.write_text(metrics.path, json.dumps(dict(metrics.metadata)))
    return found.metrics[found.primary_metric]


def build_component(image: str):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(batch_predict, base_image=image, install_kfp_package=False)
