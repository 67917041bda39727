"""The serving check: before a model is registered, load it exactly as the server will and prove it
predicts what was evaluated, and measure how fast it answers one row.

- **Parity.** The server's predictor (`mlops.predictor.Predictor`: compiled transforms, compiled
  preprocessing, the estimator called directly) and the evaluated form (the declared transforms in
  DuckDB, `feature_frame`, the fitted pipeline's predict/predict_proba, as the features, train and
  evaluate steps compute them) predict the raw test split. Scores (classification) or values
  (regression) must agree within `TOLERANCE`, and labels exactly. A model whose served form
  disagrees is not registered: the check fails, and register never runs.
- **Latency.** Single-row `predict_instances` calls on JSON-like instances built from test rows, as
  the server receives them, timed in this process: p50 and p99 in milliseconds (the model path,
  not HTTP; bench/serving.py measures the server end to end).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mlops.features import apply_transforms, transforms_spec
from mlops.model_bundle import BundleError, ModelBundle, feature_frame, load_bundle
from mlops.predictor import InstanceError, Predictor

TOLERANCE = 1e-6
LATENCY_ROWS = 200  # single-row calls timed; p99 of 200 is the second slowest
PARITY_ROWS = 100_000  # rows compared at most (a random sample beyond that, seeded)


class ServingCheckError(Exception):
    """The served model disagrees with the evaluated one, or cannot serve the test rows; names rows and values."""


@dataclass(frozen=True)
class ServingCheck:
    """What the check measured. `compiled` lists the parts the server runs as compiled code."""

    rows: int
    max_abs_difference: float
    label_mismatches: int
    latency_rows: int
    p50_ms: float
    p99_ms: float
    compiled: list[str] = field(default_factory=list)
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        return self.max_abs_difference <= self.tolerance and self.label_mismatches == 0

    def metrics(self) -> dict[str, float]:
        """The pipeline Metrics: parity and latency figures."""
        return {
            "serving_parity_max_abs_difference": self.max_abs_difference,
            "serving_label_mismatches": float(self.label_mismatches),
            "serving_p50_ms": self.p50_ms,
            "serving_p99_ms": self.p99_ms,
        }

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def check_serving(bundle_uri: str, test_rows_path: str, *, latency_rows: int = LATENCY_ROWS) -> ServingCheck:
    """Compare the served and the evaluated predictions of the raw rows in `test_rows_path` (Parquet).

    Raises ServingCheckError if they disagree (naming the worst row and both predictions) or if the
    server refuses a test row; BundleError if the bundle does not load.
    """
    predictor = Predictor.load(bundle_uri)  # checks the SHA-256 before unpickling, as the server does
    reference = load_bundle(bundle_uri)
    frame = _test_rows(test_rows_path)
    if frame.empty:
        raise ServingCheckError(f"{test_rows_path}: the test split has no rows to check the served model on")
    try:
        served = predictor.predict_frame(frame)
    except InstanceError as error:
        raise ServingCheckError(f"{test_rows_path}: the server refuses a test row: {error}") from None
    expected_scores, expected_labels = _evaluated(reference, frame)
    got = served.scores if served.scores is not None else served.values
    got = np.asarray(got, dtype=np.float64).reshape(len(frame), -1)  # regression: one column of values
    differences = np.abs(got - expected_scores).max(axis=1)
    differences = np.where(np.isnan(differences), np.inf, differences)
    mismatches = 0
    if served.labels is not None and expected_labels is not None:
        mismatches = int(np.sum(served.labels.astype(str) != expected_labels.astype(str)))
    p50, p99, timed = _latency(predictor, frame, latency_rows)
    check = ServingCheck(
        rows=len(frame),
        max_abs_difference=float(differences.max()),
        label_mismatches=mismatches,
        latency_rows=timed,
        p50_ms=p50,
        p99_ms=p99,
        compiled=list(predictor.compiled),
    )
    if not check.passed:
        worst = int(np.argmax(differences))
        raise ServingCheckError(
            f"{bundle_uri}: the served model disagrees with the evaluated one on "
            f"{int(np.sum(differences > TOLERANCE))} of {len(frame)} test rows and {mismatches} label(s); "
            f"worst: test row {worst}, served "
            f"{got[worst].tolist()} vs evaluated {expected_scores[worst].tolist()} "
            f"(tolerance {TOLERANCE:g}); the model is not registered"
        )
    return check


def _test_rows(path: str) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    if len(frame) > PARITY_ROWS:
        frame = frame.sample(PARITY_ROWS, random_state=0)
    return frame.reset_index(drop=True)


def _evaluated(bundle: ModelBundle, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores (or values) and labels as the features, train and evaluate steps compute them."""
    info = bundle.info
    spec = transforms_spec(info.transforms)
    if spec is not None:  # a bundle without declared transforms reads its features from the rows as they are
        frame = apply_transforms(frame, spec)
    features = feature_frame(info, frame)
    if info.problem_type == "classification":
        scores = np.asarray(bundle.pipeline.predict_proba(features), dtype=np.float64)
        return scores, np.asarray(bundle.pipeline.predict(features), dtype=object)
    return np.asarray(bundle.pipeline.predict(features), dtype=np.float64).reshape(-1, 1), None


def _latency(predictor: Predictor, frame: pd.DataFrame, rows: int) -> tuple[float, float, int]:
    """p50 and p99 of single-row predict_instances calls, in ms, and how many calls were timed."""
    instances = [_instance(frame, index, predictor.input_columns) for index in range(min(rows, len(frame)))]
    predictor.predict_instances(instances[:1])  # the first call warms caches; not timed
    timings = []
    for instance in instances:
        start = time.perf_counter_ns()
        predictor.predict_instances([instance])
        timings.append((time.perf_counter_ns() - start) / 1e6)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 99)), len(timings)


def _instance(frame: pd.DataFrame, index: int, columns: list[str]) -> dict[str, Any]:
    """Row `index` as a client sends it in JSON: plain numbers and text, timestamps as ISO text, nulls."""
    instance: dict[str, Any] = {}
    for column in columns:
        value = frame.at[index, column]
        if not isinstance(value, str) and pd.isna(value):
            instance[column] = None
        elif isinstance(value, pd.Timestamp):
            instance[column] = value.isoformat()
        elif isinstance(value, np.generic):
            instance[column] = value.item()
        else:
            instance[column] = value
    return instance


__all__ = ["BundleError", "ServingCheck", "ServingCheckError", "check_serving"]
