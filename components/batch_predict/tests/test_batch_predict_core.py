"""The step's logic on real small bundles (mlops.testing.bundles), including bad input."""

import json
from pathlib import Path

import pandas as pd
import pytest

from batch_predict.core import BatchPredictError, run_batch_predict
from mlops.model_bundle import save_bundle
from mlops.testing.bundles import fit_bundle, write_splits


def bundle_and_data(folder: Path, kind: str = "linear") -> tuple[str, str]:
    splits = write_splits(folder, "churn", {"train": (400, 1), "test": (200, 2)})
    save_bundle(fit_bundle("churn", splits["train"], kind), str(folder / "model"))
    return str(folder / "model"), splits["test"]


@pytest.mark.parametrize("kind", ["linear", "lightgbm"])
def test_scores_the_model_and_writes_the_result(tmp_path: Path, kind: str) -> None:
    model, data = bundle_and_data(tmp_path, kind)
    result = run_batch_predict(model, data, str(tmp_path / "result.json"))
    assert (result.problem_type, result.primary_metric, result.rows) == ("classification", "auc", 200)
    assert 0.5 < result.metrics["auc"] <= 1.0
    assert json.loads((tmp_path / "result.json").read_text())["metrics"] == result.metrics


def test_a_folder_that_is_not_a_bundle_is_an_error_naming_it(tmp_path: Path) -> None:
    _, data = bundle_and_data(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(BatchPredictError, match="empty: not a model bundle"):
        run_batch_predict(str(tmp_path / "empty"), data, str(tmp_path / "result.json"))
    assert not (tmp_path / "result.json").exists()


def test_data_without_the_target_column_is_an_error_naming_it(tmp_path: Path) -> None:
    model, data = bundle_and_data(tmp_path)
    pd.read_parquet(data).drop(columns=["churned"]).to_parquet(tmp_path / "unlabelled.parquet")
    with pytest.raises(BatchPredictError, match="unlabelled.parquet: no target column 'churned'"):
        run_batch_predict(model, str(tmp_path / "unlabelled.parquet"), str(tmp_path / "result.json"))
