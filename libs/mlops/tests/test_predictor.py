"""The predictor's fast path against the reference path it replaces at serving time:
`apply_transforms` (DuckDB SQL) + `feature_frame` + the fitted pipeline's predict/predict_proba.

The pipelines are built the way train's `build_pipeline` builds them (components/train/train/
estimators.py; a lib cannot import a component): median imputation, scaling for linear models,
categorical values as text, then one-hot or (LightGBM) ordinal encoding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler

from mlops.features import apply_transforms, load_spec
from mlops.model_bundle import BundleError, BundleInfo, ModelBundle, categorical_as_text, feature_frame, save_bundle
from mlops.predictor import InstanceError, Predictor

TRANSFORMS: list[dict[str, Any]] = [
    {"op": "passthrough", "name": "tenure", "column": "tenure"},
    {"op": "log1p", "name": "log_charges", "column": "charges"},
    {"op": "ratio", "name": "charge_per_month", "numerator": "charges", "denominator": "tenure"},
    {"op": "bucketize", "name": "calls_bucket", "column": "calls", "boundaries": [1, 3, 5]},
    {"op": "clip", "name": "charges_clipped", "column": "charges", "lower": 20, "upper": 100},
    {"op": "hour_of_day", "name": "signup_hour", "column": "signup"},
    {"op": "month", "name": "signup_month", "column": "signup"},
    {"op": "day_of_week", "name": "signup_dow", "column": "signup"},  # a categorical feature
    {"op": "passthrough", "name": "plan", "column": "plan"},
    {"op": "passthrough", "name": "region", "column": "region"},
]
NUMERIC = [
    "tenure", "log_charges", "charge_per_month", "calls_bucket", "charges_clipped", "signup_hour", "signup_month",
]
CATEGORICAL = ["signup_dow", "plan", "region"]
SPEC = load_spec({"entity_column": "customer", "timestamp_column": "at", "transforms": TRANSFORMS})
INPUTS = ["tenure", "charges", "calls", "signup", "plan", "region"]

# Written by hand: nulls everywhere, unknown categories, ints where floats were trained and the
# reverse, timestamps as text with offsets, zone names or no time, and values at the transforms' edges.
ROWS: list[dict[str, Any]] = [
    {"tenure": 12, "charges": 70.5, "calls": 2, "signup": "2024-03-05T10:20:30", "plan": "monthly", "region": 2},
    {"tenure": 12.0, "charges": 70, "calls": 2.0, "signup": "2024-03-05 10:20:30", "plan": "monthly", "region": 2.0},
    {"tenure": 0, "charges": 15, "calls": 5, "signup": "2024-12-31T23:59:59+05:30", "plan": "yearly", "region": "2"},
    {"tenure": None, "charges": None, "calls": None, "signup": None, "plan": None, "region": None},
    {"tenure": 3, "charges": -1, "calls": 0, "signup": "2024-06-09", "plan": "lifetime", "region": 9},
    {"tenure": 48, "charges": 250.25, "calls": 7, "signup": "2023-01-01T00:00:00Z", "plan": "two_year", "region": 1},
    {"tenure": -2, "charges": -0.5, "calls": 3, "signup": "2024-02-29 12:00:00 UTC", "plan": "monthly", "region": 3.5},
    {"tenure": 5, "charges": 20, "calls": 1, "signup": "2024-07-04T08:15:00.250-07:00", "plan": "yearly", "region": 3},
]
PROBLEMS = {"binary": "classification", "multiclass": "classification", "regression": "regression"}


def training_rows(count: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signup = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 700 * 24, count), unit="h")
    frame = pd.DataFrame(
        {
            "tenure": rng.integers(0, 60, count).astype(float),
            "charges": rng.uniform(-5, 200, count).round(2),
            "calls": rng.integers(0, 8, count).astype(float),
            "signup": signup.strftime("%Y-%m-%d %H:%M:%S"),
            "plan": rng.choice(["monthly", "yearly", "two_year"], count),
            "region": rng.integers(1, 4, count),
        }
    )
    frame.loc[rng.random(count) < 0.1, "charges"] = np.nan
    frame.loc[rng.random(count) < 0.1, "plan"] = None
    score = frame["tenure"] / 10 - frame["calls"] + (frame["plan"] == "yearly") * 2 + rng.normal(0, 1, count)
    frame["binary"] = (score > score.median()).astype(int)
    frame["multiclass"] = pd.cut(score, 3, labels=["low", "mid", "high"]).astype(str)
    frame["regression"] = score * 3.5 + 20
    return frame


def build_pipeline(model_type: str, problem_type: str) -> Pipeline:
    numeric: list[tuple[str, Any]] = []
    if model_type != "lightgbm":
        numeric.append(("impute", SimpleImputer(strategy="median", keep_empty_features=True)))
    if model_type == "linear":
        numeric.append(("scale", StandardScaler()))
    encoder: Any = (
        OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
        if model_type == "lightgbm"
        else OneHotEncoder(handle_unknown="ignore")
    )
    categorical = Pipeline(
        [
            ("as_text", FunctionTransformer(categorical_as_text, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="constant", fill_value="__missing__")),
            ("encode", encoder),
        ]
    )
    preprocess = ColumnTransformer(
        [
            ("numeric", Pipeline(numeric) if numeric else "passthrough", NUMERIC),
            ("categorical", categorical, CATEGORICAL),
        ],
        sparse_threshold=0.0 if model_type == "lightgbm" else 0.3,
    )
    classification = problem_type == "classification"
    estimator: Any = {
        "lightgbm": (lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor)(
            n_estimators=30, random_state=3, n_jobs=1, verbose=-1, deterministic=True, force_row_wise=True
        ),
        "random_forest": (RandomForestClassifier if classification else RandomForestRegressor)(
            n_estimators=25, max_depth=8, random_state=3, n_jobs=1
        ),
        "linear": LogisticRegression(max_iter=1000) if classification else Ridge(),
    }[model_type]
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


@pytest.fixture(scope="module")
def train_frame() -> pd.DataFrame:
    return training_rows(400, seed=11)


def fitted(model_type: str, target: str, train: pd.DataFrame, folder: Path) -> tuple[ModelBundle, Predictor]:
    problem_type = PROBLEMS[target]
    info = BundleInfo(
        problem_type=problem_type,  # type: ignore[arg-type]
        target=target,
        numeric_features=NUMERIC,
        categorical_features=CATEGORICAL,
        model_type=model_type,
        transforms=TRANSFORMS,
    )
    pipeline = build_pipeline(model_type, problem_type)
    features = feature_frame(info, apply_transforms(train, SPEC))
    fit: dict[str, Any] = {}
    if model_type == "lightgbm":
        fit["model__categorical_feature"] = list(range(len(NUMERIC), len(NUMERIC) + len(CATEGORICAL)))
    pipeline.fit(features, train[target], **fit)
    if problem_type == "classification":
        info.classes = [label.item() if hasattr(label, "item") else label for label in pipeline.classes_]
    bundle = ModelBundle(pipeline=pipeline, info=info)
    save_bundle(bundle, str(folder / "model"))
    return bundle, Predictor.load(str(folder / "model"))


def reference(bundle: ModelBundle, rows: pd.DataFrame) -> np.ndarray:
    """Class probabilities or values through DuckDB SQL, feature_frame and the pipeline."""
    features = feature_frame(bundle.info, apply_transforms(rows, SPEC))
    if bundle.info.problem_type == "classification":
        return np.asarray(bundle.pipeline.predict_proba(features), dtype=float)
    return np.asarray(bundle.pipeline.predict(features), dtype=float)


@pytest.mark.parametrize("target", list(PROBLEMS))
@pytest.mark.parametrize("model_type", ["lightgbm", "random_forest", "linear"])
def test_fast_path_matches_duckdb_and_the_pipeline(model_type: str, target: str, train_frame, tmp_path) -> None:
    bundle, predictor = fitted(model_type, target, train_frame, tmp_path)
    assert predictor.input_columns == INPUTS
    assert predictor.compiled == ("preprocess", "estimator")
    for index, row in enumerate(ROWS):  # one request of one row, as served
        expected = reference(bundle, pd.DataFrame([row]))[0]
        as_object = predictor.predict_instances([row])[0]
        as_list = predictor.predict_instances([[row[name] for name in INPUTS]])[0]
        assert as_object == as_list
        if bundle.info.problem_type == "regression":
            assert as_object["value"] == pytest.approx(expected, abs=1e-6), index
        else:
            assert as_object["classes"] == bundle.info.classes
            np.testing.assert_allclose(as_object["scores"], expected, atol=1e-6, err_msg=f"row {index}")
            label = bundle.pipeline.predict(feature_frame(bundle.info, apply_transforms(pd.DataFrame([row]), SPEC)))
            assert as_object["label"] == label[0]
    batch = training_rows(60, seed=5)  # a batch (consistently typed columns) as a frame
    got = predictor.predict_frame(batch)
    values = got.scores if bundle.info.problem_type == "classification" else got.values
    assert values is not None
    np.testing.assert_allclose(values, reference(bundle, batch), atol=1e-6)


def test_predict_frame_reads_pyarrow_batches_and_utc_timestamps(train_frame, tmp_path) -> None:
    import pyarrow as pa
    bundle, predictor = fitted("lightgbm", "regression", train_frame, tmp_path)
    batch = training_rows(20, seed=8)
    batch["signup"] = pd.to_datetime(batch["signup"]).dt.tz_localize("Europe/Paris")  # DuckDB: in UTC
    from_arrow = predictor.predict_frame(pa.RecordBatch.from_pandas(batch)).values
    assert from_arrow is not None
    np.testing.assert_allclose(from_arrow, reference(bundle, batch), atol=1e-6)


def test_bad_instances_raise_instance_errors(train_frame, tmp_path) -> None:
    _, predictor = fitted("linear", "binary", train_frame, tmp_path)
    with pytest.raises(InstanceError) as caught:
        predictor.predict_instances([ROWS[0], {**ROWS[1], "signup": "yesterday"}])
    assert (caught.value.index, caught.value.field) == (1, "signup")  # every case: test_instances.py


def test_a_tampered_bundle_is_refused_before_unpickling(train_frame, tmp_path) -> None:
    fitted("linear", "regression", train_frame, tmp_path)
    model = tmp_path / "model" / "model.joblib"
    model.write_bytes(model.read_bytes()[:-1] + b"\x00")
    with pytest.raises(BundleError, match="does not match the checksum"):
        Predictor.load(str(tmp_path / "model"))
    with pytest.raises(BundleError, match="not a model bundle"):
        Predictor.load(str(tmp_path / "nowhere"))


def test_bundles_without_transforms_read_their_features_raw(tmp_path) -> None:
    from mlops.testing.bundles import fit_bundle, write_splits

    splits = write_splits(tmp_path, "energy", {"train": (200, 1), "test": (30, 2)})
    bundle = fit_bundle("energy", splits["train"], "lightgbm")
    save_bundle(bundle, str(tmp_path / "model"))
    predictor = Predictor.load(str(tmp_path / "model"))
    assert predictor.input_columns == bundle.info.features
    test = pd.read_parquet(splits["test"])
    expected = bundle.pipeline.predict(feature_frame(bundle.info, test))
    values = predictor.predict_frame(test).values
    assert values is not None
    np.testing.assert_allclose(values, expected, atol=1e-6)


def test_what_the_compiler_does_not_know_falls_back_to_the_fitted_objects(train_frame, tmp_path) -> None:
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.preprocessing import MinMaxScaler

    info = BundleInfo(
        problem_type="regression",
        target="regression",
        numeric_features=NUMERIC,
        categorical_features=CATEGORICAL,
        model_type="knn",
        transforms=TRANSFORMS,
    )
    numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", MinMaxScaler())])
    categorical = build_pipeline("linear", "regression").steps[0][1].transformers[1][1]
    preprocess = ColumnTransformer([("numeric", numeric, NUMERIC), ("categorical", categorical, CATEGORICAL)])
    pipeline = Pipeline([("preprocess", preprocess), ("model", KNeighborsRegressor(n_neighbors=5))])
    pipeline.fit(feature_frame(info, apply_transforms(train_frame, SPEC)), train_frame["regression"])
    bundle = ModelBundle(pipeline=pipeline, info=info)
    save_bundle(bundle, str(tmp_path / "model"))
    predictor = Predictor.load(str(tmp_path / "model"))
    assert predictor.compiled == ()  # neither MinMaxScaler nor k-neighbours is compiled
    for row in ROWS:
        expected = reference(bundle, pd.DataFrame([row]))[0]
        assert predictor.predict_instances([row])[0]["value"] == pytest.approx(expected, abs=1e-6)
