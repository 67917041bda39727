"""Hand-written CSV and Parquet inputs with defects: a clear error naming the column and nothing
written, or (nulls, unknown categories) correct predictions."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from batch_predict.core import BatchPredictError, run_batch_predict
from batch_predict_fixtures import MODEL, Registered  # pants: no-infer-dep (the BUILD names it)
from mlops.model_bundle import predict_proba

pytest_plugins = ["batch_predict_fixtures"]
HEADER = "entity_id,tenure_months,monthly_charges,support_calls,contract_type,payment_method,region"
GOOD = ["1,12,70.5,0,monthly,card,north", "2,40,30.0,2,yearly,transfer,south", "3,3,99.9,5,monthly,card,east"]


def write_csv(folder: Path, lines: list[str], header: str = HEADER) -> str:
    path = folder / "rows.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return str(path)


def predict_to(registered: Registered, source: str, folder: Path, **options: object) -> Path:
    out = folder / "out" / "predictions.parquet"
    run_batch_predict(source, registered.registry_uri, MODEL, str(out), **options)  # type: ignore[arg-type]
    return out


def assert_nothing_written(folder: Path) -> None:
    assert not (folder / "out").exists() or list((folder / "out").iterdir()) == []


def test_a_missing_feature_column_is_named_and_nothing_is_written(registered: Registered, tmp_path: Path) -> None:
    source = write_csv(tmp_path, [line.rsplit(",", 1)[0] for line in GOOD], HEADER.rsplit(",", 1)[0])
    with pytest.raises(BatchPredictError, match=r"rows.csv: missing column\(s\) region; the model reads"):
        predict_to(registered, source, tmp_path)
    assert_nothing_written(tmp_path)


def test_a_missing_key_column_is_named(registered: Registered, tmp_path: Path) -> None:
    with pytest.raises(BatchPredictError, match=r"missing column\(s\) account_id;.*key columns are account_id"):
        predict_to(registered, write_csv(tmp_path, GOOD), tmp_path, key_columns=["account_id"])
    assert_nothing_written(tmp_path)


def test_text_in_a_numeric_parquet_column_is_named_with_an_example(registered: Registered, tmp_path: Path) -> None:
    rows = pd.read_csv(write_csv(tmp_path, GOOD)).astype({"tenure_months": str})
    rows.loc[1, "tenure_months"] = "forty"
    rows.to_parquet(tmp_path / "rows.parquet")
    with pytest.raises(BatchPredictError, match=r"column 'tenure_months' must hold numbers; got 'forty' \(1 rows\)"):
        predict_to(registered, str(tmp_path / "rows.parquet"), tmp_path)
    assert_nothing_written(tmp_path)


def test_text_in_a_numeric_csv_column_far_down_the_file_names_its_line(registered: Registered, tmp_path: Path) -> None:
    # Beyond DuckDB's type-sniffing sample the column reads as a number; the bad row is then found
    # by the up-front scan of the whole file, as ingest finds it.
    lines = GOOD * 10_000 + ["4,12,lots,0,monthly,card,north"]
    with pytest.raises(BatchPredictError, match=r"rows.csv: line 30002: .*monthly_charges"):
        predict_to(registered, write_csv(tmp_path, lines), tmp_path)
    assert_nothing_written(tmp_path)


def test_a_non_numeric_typed_column_is_refused(registered: Registered, tmp_path: Path) -> None:
    rows = pd.read_csv(write_csv(tmp_path, GOOD)).assign(support_calls=[True, False, True])
    rows.to_parquet(tmp_path / "rows.parquet")
    with pytest.raises(BatchPredictError, match="column 'support_calls' is BOOLEAN, but the model needs numbers"):
        predict_to(registered, str(tmp_path / "rows.parquet"), tmp_path)


def test_numbers_stored_as_text_are_read_as_numbers(registered: Registered, tmp_path: Path) -> None:
    rows = pd.read_csv(write_csv(tmp_path, GOOD))
    rows.astype({"monthly_charges": str}).to_parquet(tmp_path / "rows.parquet")
    written = pd.read_parquet(predict_to(registered, str(tmp_path / "rows.parquet"), tmp_path))
    np.testing.assert_allclose(written["probability_1"], predict_proba(registered.bundles["2"], rows)[:, 1])


def test_nulls_and_unknown_categories_are_predicted_as_the_model_does(registered: Registered, tmp_path: Path) -> None:
    lines = ["1,,70.5,0,monthly,card,north", "2,40,30.0,,,transfer,atlantis", "3,3,99.9,5,biweekly,crypto,east"]
    source = write_csv(tmp_path, lines)
    written = pd.read_parquet(predict_to(registered, source, tmp_path, key_columns=["entity_id"]))
    expected = predict_proba(registered.bundles["2"], pd.read_csv(source))
    assert written["entity_id"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(written[["probability_0", "probability_1"]].to_numpy(), expected)


def test_an_empty_table_is_an_error(registered: Registered, tmp_path: Path) -> None:
    pd.read_csv(write_csv(tmp_path, GOOD)).iloc[:0].to_parquet(tmp_path / "empty.parquet")
    with pytest.raises(BatchPredictError, match="empty.parquet: has no rows to predict"):
        predict_to(registered, str(tmp_path / "empty.parquet"), tmp_path)


def test_a_missing_source_is_named(registered: Registered, tmp_path: Path) -> None:
    with pytest.raises(BatchPredictError, match="nothing.parquet: source file not found"):
        predict_to(registered, str(tmp_path / "nothing.parquet"), tmp_path)
    assert_nothing_written(tmp_path)
