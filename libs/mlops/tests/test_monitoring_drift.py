from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.monitoring.baseline import Baseline, compute_baseline
from mlops.monitoring.buckets import MonitoringError, connect
from mlops.monitoring.config import MetricsConfig, MonitoringConfig, MonitoringConfigError
from mlops.monitoring.divergences import EmptyHistogramError, all_metrics
from mlops.monitoring.drift import count_window, drift, merged, skew
from mlops.monitoring.reference import bucket_counts, reference_metrics

NAN = float("nan")
LOG2_3 = math.log2(3)


def write(path: Path, columns: dict[str, pa.Array | list]) -> str:
    pq.write_table(pa.table(columns), path)
    return str(path)


def test_the_metrics_of_known_histograms_computed_by_hand() -> None:
    # P = (1/2, 1/2), Q = (1, 0): M = (3/4, 1/4); KL(P||M) = 1 - log2(3)/2, KL(Q||M) = 2 - log2(3).
    scores = all_metrics(np.array([5, 5]), np.array([7, 0]))
    assert scores["jensen_shannon"] == pytest.approx(1.5 - 0.75 * LOG2_3, abs=1e-15)
    assert scores["l_infinity"] == 0.5
    # PSI: the empty bucket is raised to 1e-4: (1 - 1/2) ln 2 + (1e-4 - 1/2) ln(1e-4 / (1/2)).
    assert scores["psi"] == pytest.approx(0.5 * math.log(2) + (1e-4 - 0.5) * math.log(2e-4), abs=1e-12)
    # (3/4, 1/4) vs (1/4, 3/4): M is uniform, JSD = 1 - H(3/4, 1/4) bits; PSI = ln 3.
    scores = all_metrics(np.array([3, 1]), np.array([1, 3]))
    assert scores["jensen_shannon"] == pytest.approx(1 - (2 - 0.75 * LOG2_3), abs=1e-15)
    assert scores["psi"] == pytest.approx(math.log(3), abs=1e-15)
    assert all_metrics(np.array([1, 0]), np.array([0, 1]))["jensen_shannon"] == 1.0  # no overlap: 1 bit
    same = all_metrics(np.array([2, 6, 0]), np.array([1, 3, 0]))  # the same proportions
    assert same == {"jensen_shannon": 0.0, "l_infinity": 0.0, "psi": 0.0}
    assert reference_metrics(np.array([5, 5]), np.array([7, 0]))["jensen_shannon"] == pytest.approx(1.5 - 0.75 * LOG2_3)
    with pytest.raises(EmptyHistogramError):
        all_metrics(np.array([1, 1]), np.array([0, 0]))


@pytest.fixture
def training(tmp_path: Path) -> str:
    return write(
        tmp_path / "training.parquet",
        {
            "x": pa.array([1.0, 2.0, 3.0, 4.0]),  # edges with numeric_bins=2: 1, 2, 4
            "n": pa.array([1, 2, 3, 4], pa.int64()),
            "c": pa.array(["a", "a", "b", "b"]),
            "k": pa.array([1, 1, 2, None], pa.int64()),  # integer codes, one NULL
        },
    )


def baseline_of(training: str) -> Baseline:
    return compute_baseline(training, ["x", "n"], ["c", "k"], numeric_bins=2)


def test_skew_of_a_tiny_window_by_hand(training: str, tmp_path: Path) -> None:
    baseline = baseline_of(training)
    window = write(
        tmp_path / "serving.parquet",
        {
            "x": pa.array([-5.0, 100.0, NAN, None]),  # below the min, above the max, NaN, NULL
            "n": pa.array([1.0, 2.0, 3.0, 4.0]),  # the integer feature arrives as floats
            "c": pa.array(["a", "a", "zz", None]),  # an unseen category, a NULL
            "k": pa.array(["1", "1", "2", None]),  # the integer codes arrive as text
        },
    )
    counts = count_window(baseline, window)
    assert counts.rows == 4
    # x: (-inf, 1], (1, 2], (2, 4], (4, +inf), null
    assert baseline.features["x"].counts == [1, 1, 2, 0, 0]
    assert counts.counts["x"].tolist() == [1, 0, 0, 1, 2]
    assert counts.counts["n"].tolist() == baseline.features["n"].counts == [1, 1, 2, 0, 0]
    assert counts.counts["c"].tolist() == [2, 0, 1, 1]  # a, b, other, null
    assert counts.counts["k"].tolist() == baseline.features["k"].counts == [2, 1, 0, 1]
    report = skew(baseline, window)
    assert (report.comparison, report.baseline, report.window, report.rows) == ("skew", training, window, 4)
    c = next(score for score in report.features if score.feature == "c")
    # P = (1/2, 1/2, 0, 0), Q = (1/2, 0, 1/4, 1/4): L-inf 1/2; M = (1/2, 1/4, 1/8, 1/8).
    assert (c.metric, c.value, c.threshold, c.crossed) == ("l_infinity", 0.5, 0.3, True)
    kl_p, kl_q = 0.5 * 1, 0.25 * 1 + 0.25 * 1  # the a buckets add 0: P_a = Q_a = M_a
    assert c.scores["jensen_shannon"] == pytest.approx((kl_p + kl_q) / 2, abs=1e-15)
    by_name = {score.feature: score for score in report.features}
    assert by_name["n"].value == by_name["k"].value == 0.0
    # x: P = (1/4, 1/4, 1/2, 0, 0), Q = (1/4, 0, 0, 1/4, 1/2), M = (1/4, 1/8, 1/4, 1/8, 1/4): both
    # KL terms are 3/4 bit (the shared first bucket adds 0).
    assert by_name["x"].metric == "jensen_shannon"
    assert by_name["x"].value == pytest.approx(0.75, abs=1e-15)
    assert report.crossed == ["x", "c"]


def test_a_threshold_of_zero_is_crossed_by_any_change(training: str, tmp_path: Path) -> None:
    baseline = baseline_of(training)
    same = write(tmp_path / "same.parquet", pq.read_table(training).to_pydict())
    changed = pq.read_table(training).to_pydict()
    changed["c"] = ["a", "a", "a", "b"]  # L-inf 1/4: under the default 0.3
    changed["x"] = [1.0, 2.0, 3.0, 3.5]  # the same buckets: JSD 0
    changed_path = write(tmp_path / "changed.parquet", changed)
    zero = MonitoringConfig(default_threshold=0)
    assert skew(baseline, same, zero).crossed == []  # 0 > 0 is false: no change, no alert
    assert skew(baseline, changed_path, zero).crossed == ["c"]
    assert skew(baseline, changed_path).crossed == []
    only_c = MonitoringConfig(thresholds={"c": 0})  # the feature's 0 wins over the default 0.3
    report = skew(baseline, changed_path, only_c)
    assert report.crossed == ["c"]
    assert {score.feature: score.threshold for score in report.features} == {"x": 0.3, "n": 0.3, "c": 0.0, "k": 0.3}
    js = MetricsConfig(categorical="jensen_shannon")
    strict = MonitoringConfig(default_threshold=0.1, thresholds={"c": 0.5}, metrics=js)
    c = next(score for score in skew(baseline, changed_path, strict).features if score.feature == "c")
    assert (c.metric, c.threshold, c.crossed) == ("jensen_shannon", 0.5, False)


def test_thresholds_for_features_the_baseline_lacks_are_named(training: str) -> None:
    with pytest.raises(MonitoringConfigError, match=rf"\['cty'\] that the baseline of {training} does not have"):
        skew(baseline_of(training), training, MonitoringConfig(thresholds={"cty": 0.1}))


def test_bad_windows_name_the_file_and_the_feature(training: str, tmp_path: Path) -> None:
    baseline = baseline_of(training)
    missing = write(tmp_path / "missing.parquet", {"x": [1.0], "n": [1], "c": ["a"]})
    with pytest.raises(MonitoringError, match=rf"{missing}: no column for feature 'k'"):
        count_window(baseline, missing)
    text = write(tmp_path / "text.parquet", {"x": ["1.5"], "n": [1], "c": ["a"], "k": [1]})
    with pytest.raises(MonitoringError, match=rf"{text}: numeric feature 'x' is a VARCHAR column"):
        skew(baseline, text)
    empty = str(tmp_path / "empty.parquet")
    pq.write_table(pq.read_table(training).slice(0, 0), empty)  # the right columns, no rows
    with pytest.raises(MonitoringError, match=rf"{empty}: the window has no rows to score"):
        drift(baseline, training, empty)
    with pytest.raises(MonitoringError, match="sampling_rate must be in"):
        count_window(baseline, training, sampling_rate=0)


def test_drift_compares_two_windows_on_the_baseline_s_bins(training: str, tmp_path: Path) -> None:
    baseline = baseline_of(training)
    rows = pq.read_table(training).to_pydict()
    earlier = write(tmp_path / "earlier.parquet", rows)
    recent = write(tmp_path / "recent.parquet", {**rows, "c": ["b", "b", "b", "b"]})
    report = drift(baseline, earlier, recent)
    assert (report.comparison, report.baseline, report.window) == ("drift", earlier, recent)
    assert report.crossed == ["c"]
    counted = drift(baseline, count_window(baseline, earlier), count_window(baseline, recent))
    assert counted.features == report.features
    # A day from its parts: merged counts equal the counts of the concatenated table.
    both = str(tmp_path / "both.parquet")
    pq.write_table(pa.concat_tables([pq.read_table(earlier), pq.read_table(recent)]), both)
    parts = merged([count_window(baseline, earlier), count_window(baseline, recent)], "day")
    whole = count_window(baseline, both)
    assert parts.rows == whole.rows == 8
    assert {name: counts.tolist() for name, counts in parts.counts.items()} == {
        name: counts.tolist() for name, counts in whole.counts.items()
    }
    with pytest.raises(MonitoringError, match="day: no window counts"):
        merged([], "day")


def test_sampling_is_repeatable(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    table = write(tmp_path / "t.parquet", {"x": rng.normal(size=5000), "c": rng.choice(["a", "b", "c"], 5000)})
    baseline = compute_baseline(table, ["x"], ["c"])
    first = count_window(baseline, table, sampling_rate=0.2)
    again = count_window(baseline, table, sampling_rate=0.2)
    assert 800 < first.rows < 1200
    assert first.rows == again.rows
    assert all(first.counts[name].tolist() == again.counts[name].tolist() for name in ("x", "c"))
    assert skew(baseline, table, MonitoringConfig(sampling_rate=0.2)).rows == first.rows


def _random_table(rng: np.random.Generator, rows: int, shift: float) -> dict[str, pa.Array]:
    """Columns with the defects of real windows, in random positions."""
    x = rng.normal(shift, 1, rows)
    x[rng.random(rows) < 0.03] = np.nan
    x[rng.random(rows) < 0.01] = shift * 20  # far outside the training range when shifted
    whole = rng.integers(-3, 40, rows)
    codes = rng.integers(0, 12 + int(shift * 4), rows).astype(np.float64)  # unseen codes when shifted
    shares = [0.3, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05]
    words = rng.choice(["alpha", "beta", "gamma", "delta", "o'clock", "", "ünï"], rows, p=shares)
    return {
        "x": pa.array(x, mask=rng.random(rows) < 0.02),  # NaN and NULL
        "whole": pa.array(whole, pa.int64()),
        "tiny": pa.array(rng.random(rows) * 1e-300),  # edges that need every digit of their repr
        "code": pa.array(codes, mask=rng.random(rows) < 0.05),  # float categories, NaN-free, with NULLs
        "word": pa.array(words, mask=rng.random(rows) < 0.04),
        "flag": pa.array(rng.random(rows) < 0.3),
    }


def test_the_duckdb_engine_agrees_with_the_numpy_reference(tmp_path: Path) -> None:
    rng = np.random.default_rng(20261203)
    training = write(tmp_path / "training.parquet", _random_table(rng, 3000, 0.0))
    earlier = write(tmp_path / "earlier.parquet", _random_table(rng, 2000, 0.2))
    recent = write(tmp_path / "recent.parquet", _random_table(rng, 2500, 0.5))
    numeric, categorical = ["x", "whole", "tiny"], ["code", "word", "flag"]
    baseline = compute_baseline(training, numeric, categorical, numeric_bins=7, top_categories=5, connection=connect())
    config = MonitoringConfig(metrics=MetricsConfig(categorical="jensen_shannon"))
    reports = {"skew": skew(baseline, recent, config), "drift": drift(baseline, earlier, recent, config)}
    columns = {name: pq.read_table(path).to_pydict() for name, path in [("t", training), ("e", earlier), ("r", recent)]}
    checked = 0
    for name, feature in baseline.features.items():
        reference = {key: bucket_counts(feature, table[name]) for key, table in columns.items()}
        assert reference["t"].tolist() == feature.counts, name
        assert reference["r"].tolist() == count_window(baseline, recent).counts[name].tolist(), name
        expected = {
            "skew": reference_metrics(reference["t"], reference["r"]),
            "drift": reference_metrics(reference["e"], reference["r"]),
        }
        for kind, report in reports.items():
            score = next(score for score in report.features if score.feature == name)
            for metric, value in score.scores.items():
                assert abs(value - expected[kind][metric]) <= 1e-9, (kind, name, metric)
                checked += 1
    assert checked == 6 * 2 * 3
    # The defects did land where they should: open end bins and other/null buckets are used.
    recent_counts = count_window(baseline, recent).counts
    assert recent_counts["x"][-2] > 0 and recent_counts["x"][-1] > 0
    assert recent_counts["code"][-2] > 0 and recent_counts["code"][-1] > 0
    assert any(score.value > 0.01 for score in reports["skew"].features)
