"""The monitoring baseline of a trained model, stored with it (docs/monitoring.md).

Computed once, at training time, from the raw train split: the model's raw input columns as the
server receives and logs them (mlops.monitoring.features), not the transformed features train fits
on, so that every later serving window is counted on the same columns and the same bins.
Computed before anything is written (a bad split leaves no model behind); `train.core.save_model`
writes it as `baseline.json` into the model bundle folder, after the bundle (saving the bundle
replaces the folder), so the registry copies it with the bundle into every registered version.
"""

from __future__ import annotations

from mlops.features import FeatureError
from mlops.model_bundle import BundleInfo
from mlops.monitoring.baseline import Baseline, compute_baseline
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.features import monitored_features

from .core import TrainError

DEFAULT_NUMERIC_BINS, DEFAULT_TOP_CATEGORIES = 10, 50


def model_baseline(
    info: BundleInfo,
    raw_train_path: str,
    *,
    numeric_bins: int = DEFAULT_NUMERIC_BINS,
    top_categories: int = DEFAULT_TOP_CATEGORIES,
) -> Baseline:
    """The baseline of the model described by `info`, on the Parquet file or folder `raw_train_path`
    (the train split before the feature transforms). Raises TrainError naming the file and column."""
    try:
        numeric, categorical = monitored_features(info.numeric_features, info.categorical_features, info.transforms)
        baseline = compute_baseline(
            raw_train_path, numeric, categorical, numeric_bins=int(numeric_bins), top_categories=int(top_categories)
        )
    except (FeatureError, MonitoringError, ValueError) as error:
        raise TrainError(f"monitoring baseline: {error}") from None
    return baseline
