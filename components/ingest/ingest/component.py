"""KFP v2 wrapper of ingest. The logic lives in `ingest.core`; this only maps artifacts to paths.

The function runs in the component's image (built by Pants from this package), which contains
both `ingest` and `kfp`, so the image needs no package installs at run time. `build_component`
binds the function to one image reference, decided by the build, never hard-coded here.
"""

from kfp import dsl
from kfp.dsl import Dataset, Output

LOCAL_IMAGE = "vertex-mlops/ingest:latest"


def ingest(
    source_uri: str,
    train_data: Output[Dataset],
    valid_data: Output[Dataset],
    test_data: Output[Dataset],
    split_method: str = "random",
    train_fraction: float = 0.8,
    valid_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 42,
    key_column: str = "",
    time_column: str = "",
    csv_options: dict = {},  # noqa: B006  # KFP reads defaults from the signature; never mutated
    drop_columns: list = [],  # noqa: B006  # the same
) -> int:
    """Split the table at `source_uri` into train/valid/test Parquet datasets.

    Args:
        source_uri: CSV or Parquet file, glob or folder (local path or gs:// URI), a BigQuery table
            (bq://PROJECT.DATASET.TABLE) or synthetic data (sample://churn?rows=N).
        train_data, valid_data, test_data: the output datasets, one Parquet file each.
        split_method: "random" (seeded hash of key_column, or of the whole row) or "time".
        train_fraction, valid_fraction, test_fraction: shares of rows; must add up to 1.
        seed: seed of the random split.
        key_column: the entity column; in a random split, rows that share a key stay in one split.
            Empty: ingest adds `mlops_row_key`, derived from each row's content (mlops.row_keys).
        time_column: the event time; a time split orders rows by it. Empty: ingest adds
            `mlops_snapshot_time`, this execution's time, to every row.
        csv_options: how CSV files are parsed: delimiter, header, null_values, bad_rows
            ("error" or "skip"); the config's data.csv.
        drop_columns: source columns left out of the splits (the config's data.drop_columns).

    Returns:
        The number of rows read from the source.
    """
    from ingest.core import IngestError, SplitSpec, ingest_to_parquet
    from mlops.csv_files import CsvError, CsvOptions
    from mlops.logs import configure_step_logging
    from mlops.retries import retry_transient

    configure_step_logging("ingest")
    spec = SplitSpec(
        split_method,  # type: ignore[arg-type]  # a KFP parameter is a plain str; validate() checks it
        train_fraction,
        valid_fraction,
        test_fraction,
        seed,
        key_column or None,
        time_column or None,
    )
    artifacts = {"train": train_data, "valid": valid_data, "test": test_data}
    try:
        csv = CsvOptions.from_mapping(csv_options)
    except CsvError as error:
        raise IngestError(str(error)) from None
    paths = {split: artifact.path for split, artifact in artifacts.items()}
    # A network error or a 429/5xx reading the source is tried again here; a bad source fails at once.
    result = retry_transient(
        lambda: ingest_to_parquet(source_uri, paths, spec, csv=csv, drop_columns=drop_columns, derive_keys=True),
        what=f"ingest {source_uri}",
    )
    for split, artifact in artifacts.items():
        metadata = {"rows": result.rows[split], "format": "parquet", "source": source_uri}
        artifact.metadata.update({**metadata, "skipped_rows": result.skipped_rows})
    return result.total_rows


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(ingest, base_image=image, install_kfp_package=False)
