"""Features: compute declared transforms, store them, and read training sets back point-in-time correct.

1. The transforms of `mlops.features` run over every row of every split in one DuckDB query over
   the split Parquet files (streamed: memory stays bounded whatever the size).
2. The feature rows (entity, timestamp, features; never labels) go to the feature store's offline
   store in one write, and are materialized to its online store for serving.
3. Each split is read back through the store's point-in-time join, with the split's own entity,
   timestamp and label columns as the spine, so a training row only ever sees feature values
   from at or before its timestamp.

Outputs are staged and moved into place only once every split succeeded.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from mlops import storage
from mlops.feature_store import FeatureStore, FeatureStoreError
from mlops.features import FeatureError, FeatureSpec, apply_transforms, connect, load_spec

SPLITS = ("train", "valid", "test")
log = logging.getLogger("features")


class FeaturesError(Exception):
    """Bad input to the features step. The message names the file, column, transform or view."""


@dataclass(frozen=True)
class FeaturesResult:
    feature_names: list[str]
    rows: Mapping[str, int]  # training rows written per split
    feature_rows: int  # rows written to the offline store
    online_rows: int  # entities materialized to the online store
    outputs: Mapping[str, str] = field(default_factory=dict)


def build_features(
    split_paths: Mapping[str, str],
    spec: FeatureSpec | Mapping[str, Any],
    store: FeatureStore,
    view_name: str,
    label_columns: Sequence[str],
    outputs: Mapping[str, str],
) -> FeaturesResult:
    """Compute, store and read back the features of `split_paths` (split -> Parquet file).

    Writes one training frame per split in `outputs` (split -> Parquet path): entity, timestamp,
    the spec's features as of that timestamp, and `label_columns`.
    """
    if not split_paths:
        raise FeaturesError("no input splits given")
    if missing := sorted(set(outputs) - set(split_paths)):
        raise FeaturesError(f"output split(s) {missing} have no input split; inputs are {sorted(split_paths)}")
    try:
        spec = load_spec(spec)
        _check_inputs(split_paths, spec, label_columns)
        with storage.staging_folder(outputs.values(), prefix="features-") as staging:
            feature_rows = _write_feature_rows(split_paths, spec, store, view_name, staging)
            online_rows = store.materialize(view_name)
            rows = {}
            for split in outputs:
                rows[split] = store.training_frame(
                    view_name, split_paths[split], list(label_columns), str(staging / f"{split}.parquet")
                )
            for split, target in outputs.items():
                Path(target).parent.mkdir(parents=True, exist_ok=True)
                os.replace(staging / f"{split}.parquet", target)
    except (FeatureError, FeatureStoreError) as error:
        raise FeaturesError(str(error)) from None
    log.info("features written", extra={"fields": {"rows": rows, "feature_rows": feature_rows, "view": view_name}})
    return FeaturesResult(spec.feature_names, rows, feature_rows, online_rows, dict(outputs))


def _check_inputs(split_paths: Mapping[str, str], spec: FeatureSpec, label_columns: Sequence[str]) -> None:
    connection = duckdb.connect()
    try:
        for split, path in split_paths.items():
            if not Path(path).is_file():
                raise FeaturesError(f"{path}: {split} split file not found")
            try:
                columns = connection.read_parquet(path).columns
            except duckdb.Error as error:
                raise FeaturesError(f"{path}: cannot read {split} split: {str(error).splitlines()[0]}") from None
            spec.check_columns(columns, where=path)
            for role, name in [("entity_column", spec.entity_column), ("timestamp_column", spec.timestamp_column)] + [
                ("label column", label) for label in label_columns
            ]:
                if name not in columns:
                    raise FeaturesError(f"{path}: {role} {name!r} is not a column; columns are: {', '.join(columns)}")
            if clash := sorted(set(label_columns) & set(spec.feature_names)):
                raise FeaturesError(f"label column(s) {clash} are also feature names: that would leak the label")
    finally:
        connection.close()


def _write_feature_rows(
    split_paths: Mapping[str, str], spec: FeatureSpec, store: FeatureStore, view_name: str, staging: Path
) -> int:
    """Transform all rows of all splits into one staged Parquet file, then write it to the store."""
    connection = connect()
    try:
        rows = connection.read_parquet(list(split_paths.values()), union_by_name=True)
        staged = staging / "feature_rows.parquet"
        apply_transforms(rows, spec).to_parquet(str(staged))
    except duckdb.Error as error:
        raise FeaturesError(f"computing features failed: {str(error).splitlines()[0]}") from None
    finally:
        connection.close()
    return store.write(view_name, str(staged), spec)
