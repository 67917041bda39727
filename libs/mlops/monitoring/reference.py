"""The same scores from in-memory numpy arrays: the engine's test oracle and the benchmark's reference.

Written independently of the SQL engine on purpose: buckets by `numpy.searchsorted` and a dict
lookup instead of SQL CASE, and the Jensen-Shannon divergence through entropies,
H(M) - (H(P) + H(Q)) / 2, instead of the engine's sum of two Kullback-Leibler terms. The two
agreeing within 1e-9 on data with real defects is the evidence that the engine counts right.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from mlops.monitoring.baseline import FeatureBaseline
from mlops.monitoring.divergences import PSI_EPSILON


def as_category(value: Any) -> str | None:
    """A categorical value as the engine compares it: text, whole floats as integers, NaN as missing."""
    if value is None or isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer() and abs(float(value)) < 1e15:
        return str(int(value))
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return str(value)


def bucket_counts(feature: FeatureBaseline, values: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Count per bucket of `values` on the feature's bins (same order as the baseline's counts)."""
    counts = np.zeros(feature.bucket_count, dtype=np.int64)
    if feature.kind == "numeric":
        listed = values if isinstance(values, np.ndarray) else [np.nan if v is None else v for v in values]
        numbers = np.asarray(listed, dtype=np.float64)
        missing = np.isnan(numbers)
        # side="left": the index is the number of edges strictly below the value, i.e. the bucket
        # (e_{i-1}, e_i] that holds it; values above the last edge get len(edges).
        indexes = np.searchsorted(np.asarray(feature.edges, dtype=np.float64), numbers[~missing], side="left")
        counts[: len(feature.edges) + 1] = np.bincount(indexes, minlength=len(feature.edges) + 1)
        counts[-1] = int(missing.sum())
        return counts
    position = {category: i for i, category in enumerate(feature.categories)}
    other, null = len(feature.categories), len(feature.categories) + 1
    # Count the distinct raw values first (C speed), then bucket each distinct value once.
    for value, count in Counter(values.tolist() if isinstance(values, np.ndarray) else values).items():
        category = as_category(value)
        counts[null if category is None else position.get(category, other)] += count
    return counts


def entropy_bits(p: np.ndarray) -> float:
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))


def reference_metrics(baseline_counts: np.ndarray, window_counts: np.ndarray) -> dict[str, float]:
    """Jensen-Shannon (bits), L-infinity and PSI of two count vectors, computed the other way round."""
    p = np.asarray(baseline_counts, dtype=np.float64) / np.sum(baseline_counts)
    q = np.asarray(window_counts, dtype=np.float64) / np.sum(window_counts)
    js = entropy_bits((p + q) / 2) - (entropy_bits(p) + entropy_bits(q)) / 2
    clamped_p, clamped_q = np.where(p < PSI_EPSILON, PSI_EPSILON, p), np.where(q < PSI_EPSILON, PSI_EPSILON, q)
    psi = float(np.sum((clamped_q - clamped_p) * (np.log(clamped_q) - np.log(clamped_p))))
    return {"jensen_shannon": min(max(js, 0.0), 1.0), "l_infinity": float(np.abs(p - q).max()), "psi": psi}
