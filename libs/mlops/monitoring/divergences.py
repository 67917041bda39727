"""The distances between two histograms on the same buckets, as Vertex AI Model Monitoring defines them.

Vertex's skew and drift detection (v1 jobs run TensorFlow Data Validation; v2 `DataDriftSpec`
keeps the same metric names) compares two normalized histograms:
- Jensen-Shannon divergence, numeric features: JSD(P, Q) = (KL(P || M) + KL(Q || M)) / 2 with
  M = (P + Q) / 2, logarithms in base 2. Base 2 bounds it to [0, 1] (1: no overlap at all), which is
  what makes one default threshold (0.3) meaningful for every feature. It is the divergence, not the
  Jensen-Shannon *distance* (its square root, what scipy.spatial.distance.jensenshannon returns);
  TFDV computes the same (log2, capped at 1.0 against rounding).
- L-infinity distance, categorical features: max_i |P_i - Q_i|, each histogram normalized by its
  own total.
- PSI (an extra Vertex does not offer): sum_i (Q_i - P_i) ln(Q_i / P_i), natural log as usual for
  PSI, with every proportion below PSI_EPSILON raised to it, so an empty bucket on either side
  gives a large but finite term instead of infinity.

Every bucket counts, including the null bucket and the "other" / out-of-range ones.
"""

from __future__ import annotations

import numpy as np

PSI_EPSILON = 1e-4
METRICS = ("jensen_shannon", "l_infinity", "psi")


class EmptyHistogramError(ValueError):
    """A histogram has no counts at all, so it has no distribution to compare."""


def normalized(counts: np.ndarray) -> np.ndarray:
    """`counts` as proportions that sum to 1; EmptyHistogramError when all are 0."""
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        raise EmptyHistogramError("the histogram is empty (no rows)")
    return counts / total


def jensen_shannon(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits of two normalized histograms, in [0, 1]."""
    m = (p + q) / 2
    # 0 * log(0 / m) is 0 by convention (the limit), so empty buckets of P or Q add nothing.
    kl_p = float(np.sum(p[p > 0] * np.log2(p[p > 0] / m[p > 0])))
    kl_q = float(np.sum(q[q > 0] * np.log2(q[q > 0] / m[q > 0])))
    return min(max((kl_p + kl_q) / 2, 0.0), 1.0)


def l_infinity(p: np.ndarray, q: np.ndarray) -> float:
    """The largest absolute difference between the proportions of any one bucket."""
    return float(np.max(np.abs(p - q)))


def psi(p: np.ndarray, q: np.ndarray) -> float:
    """Population stability index of `q` (the window) against `p` (the baseline)."""
    p, q = np.maximum(p, PSI_EPSILON), np.maximum(q, PSI_EPSILON)
    return float(np.sum((q - p) * np.log(q / p)))


def all_metrics(baseline_counts: np.ndarray, window_counts: np.ndarray) -> dict[str, float]:
    """Every metric of `window_counts` against `baseline_counts` (raw counts on the same buckets)."""
    p, q = normalized(baseline_counts), normalized(window_counts)
    return {"jensen_shannon": jensen_shannon(p, q), "l_infinity": l_infinity(p, q), "psi": psi(p, q)}
