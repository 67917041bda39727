"""KFP v2 wrapper of train. The logic lives in `train.core`; this only maps artifacts to paths.

The function runs in the component's image, which contains `train`, `mlops` and `kfp`.
`build_component` binds it to one image reference, decided by the build, never hard-coded here.
"""

from typing import Optional

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

LOCAL_IMAGE = "vertex-mlops/train:latest"


def train(
    train_data: Input[Dataset],
    valid_data: Input[Dataset],
    model: Output[Model],
    target: str,
    problem_type: str,
    numeric_features: list,
    categorical_features: list,
    model_type: str = "lightgbm",
    hyperparameters: dict = {},  # noqa: B006  # KFP reads defaults from the signature; never mutated
    seed: int = 42,
    transforms: list = [],  # noqa: B006
    data_source: str = "",
    git_commit: str = "",
    image: str = "",
    # KFP recognises an optional input artifact only as typing.Optional, not as `X | None`.
    raw_train_data: Optional[Input[Dataset]] = None,  # noqa: UP007
    numeric_bins: int = 10,
    top_categories: int = 50,
) -> float:
    """Fit a model on the train split, score it on the valid split and save it as a model bundle.

    Args:
        train_data, valid_data: Parquet datasets with the feature and target columns.
        model: the output model bundle folder (mlops.model_bundle layout).
        target: the label column.
        problem_type: "classification" or "regression".
        numeric_features, categorical_features: the feature columns.
        model_type: "lightgbm", "random_forest" or "linear" (logistic regression / ridge).
        hyperparameters: estimator parameters by name; unknown names are an error.
        seed: random seed of the estimator.
        transforms: the declared feature transforms (from the features step), recorded in the bundle.
        data_source: URI of the source table, recorded in the data snapshot.
        git_commit, image: code identity recorded in the model card.
        raw_train_data: the train split before the feature transforms (ingest's), for the monitoring
            baseline stored as `baseline.json` in the model folder; absent: `train_data`, which
            must then hold the model's raw input columns.
        numeric_bins, top_categories: the baseline's bins (the config's `monitoring:` section).

    Returns:
        The primary validation metric: AUC (classification) or RMSE (regression).
    """
    from mlops.logs import configure_step_logging
    from train.baseline import model_baseline
    from train.core import TrainSpec, save_model, train_model

    configure_step_logging("train")
    spec = TrainSpec(
        target=target,
        problem_type=problem_type,
        numeric_features=list(numeric_features),
        categorical_features=list(categorical_features),
        model_type=model_type,
        hyperparameters=dict(hyperparameters),
        seed=int(seed),
    )
    bundle = train_model(
        train_data.path,
        valid_data.path,
        spec,
        transforms=list(transforms),
        data_source=data_source or train_data.metadata.get("source", ""),
        git_commit=git_commit,
        image=image,
    )
    raw = raw_train_data if raw_train_data is not None else train_data
    baseline = model_baseline(bundle.info, raw.path, numeric_bins=numeric_bins, top_categories=top_categories)
    score, metadata = save_model(bundle, model.path, baseline)
    model.metadata.update(metadata)
    return score


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(train, base_image=image, install_kfp_package=False)
