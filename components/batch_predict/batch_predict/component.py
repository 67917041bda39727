"""The KFP v2 wrapper of the step. The logic lives in core.py; this only maps parameters and artifacts.

The function runs in the component's image (the base image plus this package), which contains
`batch_predict`, `mlops`, `kfp`, scikit-learn and LightGBM. `build_component` binds it to one image
reference chosen by the build (the content-hash tag Pants built), never hard-coded here. Do not add
`from __future__ import annotations` to this file: KFP reads the real annotation objects.
"""

from kfp import dsl
from kfp.dsl import Artifact, Output


def batch_predict(
    source_uri: str,
    registry_uri: str,
    model_name: str,
    version: str,
    destination: str,
    key_columns: list,
    chunk_rows: int,
    csv_options: dict,
    result: Output[Artifact],
) -> str:
    """Predict every row of a table with a registered model; write the predictions as Parquet.

    Args:
        source_uri: CSV/Parquet file(s), local or gs://, or a BigQuery table bq://PROJECT.DATASET.TABLE.
        registry_uri: the model registry (mlops.registry.open_registry).
        model_name: the registered model.
        version: a version number, or empty for the registry's default version.
        destination: a .parquet file (local path or gs://) or a BigQuery table bq://PROJECT.DATASET.TABLE.
        key_columns: input columns copied to the output beside each prediction.
        chunk_rows: rows predicted at a time (memory is that of a few chunks).
        csv_options: how CSV sources are parsed (delimiter, header, null_values, bad_rows).
        result: JSON of the run (model version, rows, destination, rows/s), also its metadata.

    Returns:
        The model version that predicted.
    """
    import json
    from dataclasses import asdict

    from batch_predict.core import run_batch_predict
    from mlops import storage
    from mlops.csv_files import CsvOptions
    from mlops.logs import configure_step_logging
    from mlops.retries import retry_transient

    configure_step_logging("batch_predict")
    # Source, registry and destination may be remote: their transient errors are tried again.
    found = retry_transient(
        lambda: run_batch_predict(
            source_uri,
            registry_uri,
            model_name,
            destination,
            version=version,
            key_columns=[str(name) for name in key_columns],
            chunk_rows=int(chunk_rows),  # KFP may hand numbers over as floats
            csv=CsvOptions.from_mapping(csv_options),
        ),
        what=f"batch_predict {source_uri}",
    )
    result.metadata.update(asdict(found))
    storage.write_text(result.path, json.dumps(asdict(found), indent=2))
    return found.model_version


def build_component(image: str):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(batch_predict, base_image=image, install_kfp_package=False)
