"""KFP v2 wrapper of features. The logic lives in `features.core`; this only maps artifacts to paths.

The function runs in the component's image (built by Pants from this package), which contains
`features`, `mlops` and `kfp`. `build_component` binds it to one image reference chosen by the build.
"""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output

LOCAL_IMAGE = "vertex-mlops/features:latest"


def features(
    train_data: Input[Dataset],
    valid_data: Input[Dataset],
    test_data: Input[Dataset],
    train_features: Output[Dataset],
    valid_features: Output[Dataset],
    test_features: Output[Dataset],
    feature_spec: dict,
    label_column: str,
    store_uri: str,
    view_name: str,
) -> list:
    """Compute the declared features, store them, and write point-in-time correct training sets.

    Args:
        train_data, valid_data, test_data: the splits (Parquet), with entity, timestamp and label.
        train_features, valid_features, test_features: per split: entity, timestamp, features, label.
        feature_spec: `{"entity_column", "timestamp_column", "transforms": [...]}` (mlops.features).
        label_column: the target column, carried from each split into its training set.
        store_uri: a local folder (Parquet + SQLite store) or
            `vertex://PROJECT/LOCATION?dataset=DATASET&online_store=STORE` (BigQuery + Vertex AI).
        view_name: the feature view the rows are written to and read from.

    Returns:
        The feature column names, in order.
    """
    from features.core import build_features
    from mlops.feature_store import open_store
    from mlops.logs import configure_step_logging
    from mlops.retries import retry_transient

    configure_step_logging("features")
    inputs = {"train": train_data, "valid": valid_data, "test": test_data}
    outputs = {"train": train_features, "valid": valid_features, "test": test_features}
    # The feature store may be remote (BigQuery, Vertex AI): its transient errors are tried again.
    result = retry_transient(
        lambda: build_features(
            {split: artifact.path for split, artifact in inputs.items()},
            feature_spec,
            open_store(store_uri),
            view_name,
            [label_column],
            {split: artifact.path for split, artifact in outputs.items()},
        ),
        what=f"features {view_name}",
    )
    for split, artifact in outputs.items():
        artifact.metadata.update(
            {"rows": result.rows[split], "format": "parquet", "features": result.feature_names, "view": view_name}
        )
    return result.feature_names


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(features, base_image=image, install_kfp_package=False)
