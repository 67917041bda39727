"""Which columns are monitored: the model's raw inputs, as the server receives and logs them.

The request log (components/serve, `serve.request_log`) records each sampled instance's raw input
columns, before the declared transforms run (numbers as floats, categories as text). Skew compares
a logged window with the baseline, so the baseline is computed on the same columns of the raw
training split: a passthrough feature is its own column; a derived one (ratio, log1p, bucketize,
clip) is monitored through the numeric columns it is computed from. Timestamp inputs (read by
hour_of_day, day_of_week, month) are not monitored: every value is new, so a histogram of them says
nothing about skew.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mlops.fast_features import raw_inputs


def monitored_features(
    numeric_features: Sequence[str], categorical_features: Sequence[str], transforms: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[str]]:
    """(numeric, categorical) raw input columns of a model with these features and transforms, in
    the server's input order; the same plan the server and its request log use
    (mlops.fast_features). Raises mlops.features.FeatureError for invalid transforms."""
    inputs = raw_inputs(list(numeric_features), list(categorical_features), [dict(t) for t in transforms])
    numeric = [column for column, kind in inputs.items() if kind == "number"]
    categorical = [column for column, kind in inputs.items() if kind == "category"]
    return numeric, categorical
