"""Batch prediction on real registered models and real files: the predictions are the bundle's own."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from batch_predict.core import BatchPredictError, run_batch_predict
from batch_predict_fixtures import MODEL, Registered  # pants: no-infer-dep (the BUILD names it)
from mlops.model_bundle import predict, predict_proba, save_bundle
from mlops.registry import open_registry
from mlops.testing.bundles import fit_bundle

pytest_plugins = ["batch_predict_fixtures"]
KEYS = ["entity_id", "event_timestamp"]


def test_predictions_are_the_default_versions_on_every_row_in_order(registered: Registered, tmp_path: Path) -> None:
    out = tmp_path / "out" / "predictions.parquet"
    result = run_batch_predict(
        registered.rows_uri, registered.registry_uri, MODEL, str(out), key_columns=KEYS, chunk_rows=128
    )
    rows, written = pd.read_parquet(registered.rows_uri), pd.read_parquet(out)
    bundle = registered.bundles["2"]
    assert (result.rows, result.model_version) == (600, "2")
    predicted = ["prediction", "probability_0", "probability_1", "model_version", "predicted_at"]
    assert list(written.columns) == [*KEYS, *predicted]
    assert written["entity_id"].tolist() == rows["entity_id"].tolist()  # chunks keep the input's order
    assert (written["prediction"].to_numpy() == predict(bundle, rows)).all()
    np.testing.assert_allclose(written[["probability_0", "probability_1"]].to_numpy(), predict_proba(bundle, rows))
    assert set(written["model_version"]) == {"2"} and written["predicted_at"].nunique() == 1
    assert str(written["predicted_at"].dt.tz) == "UTC"


def test_a_named_version_predicts_instead_of_the_default(registered: Registered, tmp_path: Path) -> None:
    out = tmp_path / "v1.parquet"
    result = run_batch_predict(registered.rows_uri, registered.registry_uri, MODEL, str(out), version="1")
    written, rows = pd.read_parquet(out), pd.read_parquet(registered.rows_uri)
    assert result.model_version == "1" and written.columns[0] == "prediction"  # no key columns asked for
    np.testing.assert_allclose(written["probability_1"], predict_proba(registered.bundles["1"], rows)[:, 1])
    assert (written["prediction"].to_numpy() == predict(registered.bundles["1"], rows)).all()


def test_the_bundles_declared_transforms_are_applied_to_the_raw_rows(registered: Registered, tmp_path: Path) -> None:
    # A model whose feature `tenure_months` is made from the raw column `tenure_raw` by its transforms,
    # and `monthly_charges` is clipped: batch prediction must compute both from the raw table.
    transforms = [
        {"op": "passthrough", "name": "tenure_months", "column": "tenure_raw"},
        {"op": "clip", "name": "monthly_charges", "column": "monthly_charges", "upper": 60.0},
        *({"op": "passthrough", "name": n, "column": n} for n in ("support_calls", "contract_type", "payment_method")),
        {"op": "passthrough", "name": "region", "column": "region"},
    ]
    bundle = fit_bundle("churn", registered.rows_uri, "linear", transforms=transforms)
    save_bundle(bundle, str(tmp_path / "bundle"))
    open_registry(str(tmp_path / "registry")).register("renamed", str(tmp_path / "bundle"), metrics={"auc": 0.7})
    raw = pd.read_parquet(registered.rows_uri).rename(columns={"tenure_months": "tenure_raw"})
    raw.to_parquet(tmp_path / "raw.parquet")
    run_batch_predict(str(tmp_path / "raw.parquet"), str(tmp_path / "registry"), "renamed", str(tmp_path / "p.parquet"))
    features = raw.rename(columns={"tenure_raw": "tenure_months"}).assign(
        monthly_charges=lambda frame: frame["monthly_charges"].clip(upper=60.0)
    )
    written = pd.read_parquet(tmp_path / "p.parquet")
    np.testing.assert_allclose(written["probability_1"], predict_proba(bundle, features)[:, 1])


def test_a_folder_of_csv_files_is_read_like_one_table(registered: Registered, tmp_path: Path) -> None:
    rows = pd.read_parquet(registered.rows_uri)
    (tmp_path / "in").mkdir()
    rows.iloc[:250].to_csv(tmp_path / "in" / "a.csv", index=False)
    rows.iloc[250:].to_csv(tmp_path / "in" / "b.csv", index=False)
    result = run_batch_predict(str(tmp_path / "in"), registered.registry_uri, MODEL, str(tmp_path / "p.parquet"))
    assert result.rows == 600
    written = pd.read_parquet(tmp_path / "p.parquet")
    assert sorted(written["prediction"].tolist()) == sorted(predict(registered.bundles["2"], rows).tolist())


def test_an_unknown_model_or_version_is_an_error_naming_it(registered: Registered, tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    with pytest.raises(BatchPredictError, match="model 'nobody' has no default version"):
        run_batch_predict(registered.rows_uri, registered.registry_uri, "nobody", str(out))
    with pytest.raises(BatchPredictError, match=f"model '{MODEL}': .*9"):
        run_batch_predict(registered.rows_uri, registered.registry_uri, MODEL, str(out), version="9")
    assert not out.exists()


@pytest.mark.parametrize(
    ("destination", "keys", "problem"),
    [
        ("p.csv", [], "must be a .parquet file"),
        ("bq://p.d.t", [], "BigQuery destinations are not supported"),
        ("p.parquet", ["entity_id", "model_version"], "key column.* model_version clash"),
    ],
)
def test_a_bad_destination_is_refused_before_anything_is_read(
    registered: Registered, tmp_path: Path, destination: str, keys: list[str], problem: str
) -> None:
    target = destination if "://" in destination else str(tmp_path / destination)
    with pytest.raises(BatchPredictError, match=problem):
        run_batch_predict(registered.rows_uri, registered.registry_uri, MODEL, target, key_columns=keys)
    assert list(tmp_path.iterdir()) == []
