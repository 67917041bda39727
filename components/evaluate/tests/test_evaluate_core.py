from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn import metrics as skm

from evaluate.core import EvaluateError, evaluate_model, roc_points
from evaluate.report import write_report
from mlops.model_bundle import load_bundle, predict, predict_proba

pytest_plugins = ["evaluate_fixtures"]  # fixtures: see evaluate_fixtures.py


def test_classification_metrics_match_sklearn(bundles: dict[str, str], eval_splits: dict[str, dict[str, str]]) -> None:
    result = evaluate_model(bundles["churn"], eval_splits["churn"]["test"])
    test = pd.read_parquet(eval_splits["churn"]["test"])
    bundle = load_bundle(bundles["churn"])
    truth, predicted, score = test["churned"], predict(bundle, test), predict_proba(bundle, test)[:, 1]
    assert result.rows == 600 and result.problem_type == "classification"
    assert result.metrics["auc"] == pytest.approx(skm.roc_auc_score(truth, score)) and result.metrics["auc"] > 0.7
    assert result.metrics["log_loss"] == pytest.approx(skm.log_loss(truth, score))
    assert result.metrics["f1"] == pytest.approx(skm.f1_score(truth, predicted))
    assert result.metrics["precision"] == pytest.approx(skm.precision_score(truth, predicted))
    assert result.metrics["accuracy"] == pytest.approx(skm.accuracy_score(truth, predicted))
    assert result.summary() == {"problem_type": "classification", "metrics": result.metrics, "rows": 600}
    assert result.confusion == {
        "labels": ["0", "1"],
        "matrix": skm.confusion_matrix(truth, predicted, labels=[0, 1]).tolist(),
    }
    assert result.info is not None and result.info.code["git_commit"] == "c0ffee"


def test_roc_curve_is_downsampled_and_keeps_its_ends(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]]
) -> None:
    roc = evaluate_model(bundles["churn"], eval_splits["churn"]["test"]).roc
    assert roc is not None and 10 < len(roc["fpr"]) <= 200
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0) and (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert np.all(np.diff(roc["fpr"]) >= 0) and max(roc["thresholds"]) <= 1.0
    small = roc_points(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert small["tpr"] == [0.0, 0.5, 0.5, 1.0, 1.0] and small["thresholds"][0] == 1.0  # sklearn's inf, capped


def test_regression_metrics_and_residuals(bundles: dict[str, str], eval_splits: dict[str, dict[str, str]]) -> None:
    result = evaluate_model(bundles["energy"], eval_splits["energy"]["test"])
    test = pd.read_parquet(eval_splits["energy"]["test"])
    predicted = predict(load_bundle(bundles["energy"]), test)
    assert result.metrics["rmse"] == pytest.approx(skm.root_mean_squared_error(test["energy_kwh"], predicted))
    assert result.metrics["mae"] == pytest.approx(skm.mean_absolute_error(test["energy_kwh"], predicted))
    assert (
        result.metrics["r2"] == pytest.approx(skm.r2_score(test["energy_kwh"], predicted))
        and result.metrics["r2"] > 0.6
    )
    assert result.residuals is not None
    assert result.residuals["mean"] == pytest.approx(float((test["energy_kwh"] - predicted).mean()))
    assert result.roc is None and result.confusion is None and len(result.sample["actual"]) == 600


def test_report_embeds_the_plots_and_metric_values(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    for problem, titles in (
        ("churn", ["ROC curve", "Confusion matrix"]),
        ("energy", ["Predicted vs actual", "Residuals"]),
    ):
        result = evaluate_model(bundles[problem], eval_splits[problem]["test"])
        path = tmp_path / f"{problem}.html"
        write_report(result, result.info, str(path))
        html = path.read_text()
        images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
        assert [alt for alt, _ in images] == titles
        assert all(base64.b64decode(data).startswith(b"\x89PNG\r\n\x1a\n") for _, data in images)
        for name, value in result.metrics.items():
            assert f'<td>{name}</td><td class="value">{value:.4f}</td>' in html
        assert "c0ffee" in html


def replace_column(path: str, name: str, values: pa.Array, folder: Path) -> str:
    table = pq.read_table(path)
    target = folder / f"changed-{name}.parquet"
    pq.write_table(table.set_column(table.schema.get_field_index(name), name, values), target)
    return str(target)


def test_bad_input_names_the_folder_file_and_column(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    test = eval_splits["churn"]["test"]
    with pytest.raises(EvaluateError, match=f"{tmp_path / 'none'}: not a model bundle"):
        evaluate_model(str(tmp_path / "none"), test)
    no_region = tmp_path / "no-region.parquet"
    pq.write_table(pq.read_table(test).drop_columns(["region"]), no_region)
    with pytest.raises(EvaluateError, match=rf"{no_region}: missing column\(s\) \['region'\]"):
        evaluate_model(bundles["churn"], str(no_region))
    empty = tmp_path / "empty.parquet"
    pq.write_table(pq.read_table(test).slice(0, 0), empty)
    with pytest.raises(EvaluateError, match=f"{empty}: table is empty"):
        evaluate_model(bundles["churn"], str(empty))
    words = replace_column(test, "support_calls", pa.array(["many"] * 600), tmp_path)
    with pytest.raises(EvaluateError, match=f"{words}: feature column 'support_calls' must be numeric; got 'many'"):
        evaluate_model(bundles["churn"], words)
    labels = replace_column(test, "churned", pa.array([0, 1, 2] * 200), tmp_path)
    with pytest.raises(EvaluateError, match=r"has class\(es\) \['2'\] the model was not trained on"):
        evaluate_model(bundles["churn"], labels)
    nulls = replace_column(test, "churned", pa.array([None] * 600, pa.int64()), tmp_path)
    with pytest.raises(EvaluateError, match="target column 'churned' has 600 null value"):
        evaluate_model(bundles["churn"], nulls)


def test_labels_stored_as_text_are_matched_to_the_model_classes(
    bundles: dict[str, str], eval_splits: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    test = eval_splits["churn"]["test"]
    text = pa.array([str(label) for label in pq.read_table(test).column("churned").to_pylist()])
    as_text = replace_column(test, "churned", text, tmp_path)
    assert evaluate_model(bundles["churn"], as_text).metrics == evaluate_model(bundles["churn"], test).metrics
