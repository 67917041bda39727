"""scoring.score: the metrics every step reports for a bundle, checked against scikit-learn."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sklearn import metrics as skm

from mlops.model_bundle import BundleError, predict, predict_proba
from mlops.scoring import score
from mlops.testing.bundles import evaluation_of, fit_bundle, write_splits


def test_classification_and_regression_metrics_match_sklearn(tmp_path: Path) -> None:
    for problem in ("churn", "energy"):
        paths = write_splits(tmp_path, problem, {"train": (800, 1), "test": (300, 2)})
        bundle, test = fit_bundle(problem, paths["train"]), pd.read_parquet(paths["test"])
        scored = score(bundle, test)
        target = test[bundle.info.target]
        if problem == "churn":
            proba = predict_proba(bundle, test)[:, 1]
            assert scored.metrics["auc"] == pytest.approx(skm.roc_auc_score(target, proba))
            assert scored.metrics["auc"] > 0.7
            assert scored.proba is not None and scored.truth.tolist() == target.tolist()
        else:
            assert scored.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(target, predict(bundle, test)))
            assert scored.proba is None
        assert evaluation_of(bundle, paths["test"]).metrics == scored.metrics


def test_labels_are_matched_as_text_and_unknown_classes_are_named(tmp_path: Path) -> None:
    paths = write_splits(tmp_path, "churn", {"train": (800, 1), "test": (300, 2)})
    bundle, test = fit_bundle("churn", paths["train"], "dummy"), pd.read_parquet(paths["test"])
    as_text = test.assign(churned=test["churned"].astype(str))
    assert score(bundle, as_text).metrics == score(bundle, test).metrics
    with pytest.raises(BundleError, match=r"target 'churned' has class\(es\) \['7'\] the model was not trained on"):
        score(bundle, test.assign(churned=7))
