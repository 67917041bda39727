from __future__ import annotations

import json
from pathlib import Path

import fsspec
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from mlops.model_bundle import (
    BundleError,
    BundleInfo,
    ModelBundle,
    categorical_as_text,
    load_bundle,
    predict,
    predict_proba,
    render_model_card,
    save_bundle,
)

ROWS = pd.DataFrame(
    {
        "size": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
        "colour": ["red", "blue"] * 5,
        "label": ["no", "no", "no", "yes", "no", "yes", "yes", "yes", "no", "yes"],
        "value": [1.5, 2.0, 3.5, 4.0, 5.5, 6.0, 7.5, 8.0, 9.5, 10.0],
    }
)


def make_bundle(problem_type: str = "classification") -> ModelBundle:
    categorical = make_pipeline(
        FunctionTransformer(categorical_as_text),
        SimpleImputer(strategy="constant", fill_value="__missing__"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    preprocess = ColumnTransformer([("numeric", numeric, ["size"]), ("categorical", categorical, ["colour"])])
    classification = problem_type == "classification"
    pipeline = Pipeline([("preprocess", preprocess), ("model", LogisticRegression() if classification else Ridge())])
    pipeline.fit(ROWS[["size", "colour"]], ROWS["label" if classification else "value"])
    info = BundleInfo(
        problem_type=problem_type,  # type: ignore[arg-type]
        target="label" if classification else "value",
        numeric_features=["size"],
        categorical_features=["colour"],
        model_type="linear",
        hyperparameters={"C": 1.0},
        classes=["no", "yes"] if classification else [],
        transforms=[{"name": "size_log", "kind": "log", "column": "size"}],
        data_snapshot={"rows": {"train": 10}, "fingerprints": {"train": "sha256:abc"}},
        validation_metrics={"auc": 0.875} if classification else {"rmse": 0.25},
        code={"git_commit": "0123abc", "image": "localhost:5000/vertex-mlops/train:f00"},
    )
    return ModelBundle(pipeline=pipeline, info=info)


@pytest.fixture(params=["local", "memory"])
def folder(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "local":
        return str(tmp_path / "bundles" / "model")
    fsspec.filesystem("memory").store.clear()
    return "memory://bucket/run/model"


def test_round_trip_gives_identical_predictions(folder: str) -> None:
    bundle = make_bundle()
    save_bundle(bundle, folder)
    loaded = load_bundle(folder)
    assert loaded.info == bundle.info
    features = ROWS[["size", "colour"]]
    assert (predict(loaded, features) == predict(bundle, features)).all()
    np.testing.assert_array_equal(predict_proba(loaded, features), predict_proba(bundle, features))
    assert predict_proba(loaded, features).shape == (10, 2)


def test_bundle_layout_matches_the_contract(tmp_path: Path) -> None:
    save_bundle(make_bundle(), str(tmp_path / "model"))
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == ["bundle.json", "model.joblib", "model_card.md"]
    document = json.loads((tmp_path / "model" / "bundle.json").read_text())
    assert document["problem_type"] == "classification" and document["classes"] == ["no", "yes"]
    assert document["transforms"] == [{"name": "size_log", "kind": "log", "column": "size"}]
    assert len(document["model_sha256"]) == 64
    assert "0123abc" in (tmp_path / "model" / "model_card.md").read_text()


def test_save_replaces_an_existing_bundle_and_leaves_no_temporary_folders(tmp_path: Path) -> None:
    target = tmp_path / "model"
    save_bundle(make_bundle("classification"), str(target))
    save_bundle(make_bundle("regression"), str(target))
    assert load_bundle(str(target)).info.problem_type == "regression"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert oct(target.stat().st_mode & 0o777) == "0o755"


def test_predict_on_raw_rows_with_unseen_categories_missing_values_and_numeric_text() -> None:
    bundle = make_bundle()
    raw = pd.DataFrame({"colour": ["green", None, "red"], "size": ["2.5", None, 9], "extra": [1, 2, 3]})
    assert set(predict(bundle, raw)) <= {"no", "yes"}
    assert predict_proba(bundle, raw).sum(axis=1) == pytest.approx([1.0, 1.0, 1.0])


def test_predict_names_missing_and_non_numeric_columns() -> None:
    bundle = make_bundle()
    with pytest.raises(BundleError, match=r"missing feature column\(s\) \['colour'\]"):
        predict(bundle, pd.DataFrame({"size": [1.0]}))
    with pytest.raises(BundleError, match="feature column 'size' must be numeric; got 'big'"):
        predict(bundle, pd.DataFrame({"size": ["big"], "colour": ["red"]}))
    with pytest.raises(BundleError, match="predict_proba needs a classification model"):
        predict_proba(make_bundle("regression"), ROWS)


def test_text_columns_and_mixed_columns_become_the_same_text() -> None:
    # Column 0 is all text (converted whole), column 1 mixed (value by value): same rules for both.
    values = np.array([["a", 1.0], [None, "b"], [np.nan, 2.5], ["c", None]], dtype=object)
    result = categorical_as_text(pd.DataFrame(values))
    assert result[[0, 3], 0].tolist() == ["a", "c"] and pd.isna(result[1, 0]) and pd.isna(result[2, 0])
    assert result[[0, 1, 2], 1].tolist() == ["1", "b", "2.5"] and pd.isna(result[3, 1])
    assert all(isinstance(value, str) or (isinstance(value, float) and np.isnan(value)) for value in result.ravel())


def test_categories_are_compared_as_text() -> None:
    values = np.array([[1], [1.0], ["1"], [None], [np.nan], [True]], dtype=object)
    result = categorical_as_text(values)
    assert result[:3, 0].tolist() == ["1", "1", "1"] and result[5, 0] == "True"
    assert pd.isna(result[3, 0]) and pd.isna(result[4, 0])


def test_load_names_the_folder_when_missing_or_corrupt(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=f"{tmp_path / 'absent'}: not a model bundle"):
        load_bundle(str(tmp_path / "absent"))
    folder = tmp_path / "model"
    save_bundle(make_bundle(), str(folder))
    (folder / "model.joblib").write_bytes(b"truncated")
    with pytest.raises(BundleError, match=f"{folder}: model.joblib does not match the checksum"):
        load_bundle(str(folder))
    (folder / "bundle.json").write_text("{not json")
    with pytest.raises(BundleError, match=f"{folder}: bundle.json is not valid JSON"):
        load_bundle(str(folder))


def test_load_reports_an_invalid_description_by_key(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_bundle(make_bundle(), str(folder))
    document = json.loads((folder / "bundle.json").read_text())
    document["problem_type"] = "ranking"
    del document["target"]
    (folder / "bundle.json").write_text(json.dumps(document))
    with pytest.raises(BundleError, match="problem_type: Input should be 'classification' or 'regression'") as error:
        load_bundle(str(folder))
    assert "target: Field required" in str(error.value)


def test_model_card_shows_data_parameters_metrics_and_identity() -> None:
    info = make_bundle().info
    card = render_model_card(info, metrics={"auc": 0.8125})
    assert card.startswith("# Model card: linear classification model of `label`")
    assert "| auc | 0.8750 | 0.8125 |" in card
    for expected in ("C=1.0", "sha256:abc", "train=10", "`0123abc`", "vertex-mlops/train:f00", "size_log"):
        assert expected in card
