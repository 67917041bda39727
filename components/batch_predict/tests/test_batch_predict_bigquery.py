"""A BigQuery table as the destination, through the real google-cloud-bigquery client, against a local
fake of the BigQuery REST API (mlops.testing.fake_feature_store) that keeps loaded Parquet in DuckDB."""

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from batch_predict.core import BatchPredictError, run_batch_predict
from batch_predict_fixtures import MODEL, Registered  # pants: no-infer-dep (the BUILD names it)
from mlops.model_bundle import predict_proba
from mlops.testing.fake_feature_store import FakeFeatureStoreApi

pytest_plugins = ["batch_predict_fixtures"]
TABLE = "bq://acme-ml.scores.churn"


@pytest.fixture
def bigquery() -> Iterator[FakeFeatureStoreApi]:
    with FakeFeatureStoreApi() as fake:
        fake.db.execute("CREATE SCHEMA scores")
        yield fake


def predict_into(registered: Registered, source: str, fake: FakeFeatureStoreApi, **options: object) -> None:
    run_batch_predict(source, registered.registry_uri, MODEL, TABLE, bigquery_endpoint=fake.endpoint, **options)  # type: ignore[arg-type]


def test_predictions_are_loaded_into_the_table_by_one_load_job(
    registered: Registered, bigquery: FakeFeatureStoreApi
) -> None:
    predict_into(registered, registered.rows_uri, bigquery, key_columns=["entity_id"], chunk_rows=100)
    assert len(bigquery.requests_to("POST", "/upload/bigquery/v2/projects/acme-ml/jobs")) == 1
    loaded = bigquery.db.execute("SELECT * FROM scores.churn").df()
    rows = pd.read_parquet(registered.rows_uri)
    assert loaded["entity_id"].tolist() == rows["entity_id"].tolist()
    np.testing.assert_allclose(loaded["probability_1"], predict_proba(registered.bundles["2"], rows)[:, 1])
    # A second run replaces the rows (WRITE_TRUNCATE), it does not append them.
    predict_into(registered, registered.rows_uri, bigquery, version="1")
    assert bigquery.db.execute("SELECT count(*), min(model_version) FROM scores.churn").fetchone() == (600, "1")


def test_bad_input_loads_nothing(registered: Registered, bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    pd.read_parquet(registered.rows_uri).drop(columns=["region"]).to_parquet(tmp_path / "no-region.parquet")
    with pytest.raises(BatchPredictError, match=r"missing column\(s\) region"):
        predict_into(registered, str(tmp_path / "no-region.parquet"), bigquery)
    assert bigquery.requests == []


@pytest.mark.parametrize("table", ["bq://acme-ml.scores", "bq://Acme.scores.churn", "bq://acme-ml.scores.churn?x=1"])
def test_a_malformed_table_is_refused_naming_it(registered: Registered, table: str, tmp_path: Path) -> None:
    with pytest.raises(BatchPredictError, match="expected bq://PROJECT.DATASET.TABLE"):
        run_batch_predict(registered.rows_uri, registered.registry_uri, MODEL, table)


def test_a_failed_load_is_an_error_naming_the_table(registered: Registered, bigquery: FakeFeatureStoreApi) -> None:
    problem = r"bq://acme-ml\.absent\.churn: BigQuery could not load the predictions"
    with pytest.raises(BatchPredictError, match=problem):
        run_batch_predict(
            registered.rows_uri, registered.registry_uri, MODEL, TABLE.replace("scores", "absent"),
            bigquery_endpoint=bigquery.endpoint,
        )  # fmt: skip


@pytest.fixture
def source(registered: Registered, bigquery: FakeFeatureStoreApi) -> str:
    """The 600 churn rows as the BigQuery table `acme-ml.sales.rows` of the fake."""
    bigquery.db.execute(f"CREATE SCHEMA sales; CREATE TABLE sales.rows AS SELECT * FROM '{registered.rows_uri}'")
    return "bq://acme-ml.sales.rows"


def test_a_bigquery_table_is_read_page_by_page_and_predicted(
    registered: Registered, bigquery: FakeFeatureStoreApi, source: str, tmp_path: Path
) -> None:
    out = tmp_path / "p.parquet"
    result = run_batch_predict(
        source, registered.registry_uri, MODEL, str(out), key_columns=["entity_id"], chunk_rows=1000,
        bigquery_endpoint=bigquery.endpoint,
    )  # fmt: skip
    rows, written = pd.read_parquet(registered.rows_uri), pd.read_parquet(out)
    assert result.rows == 600 and written["entity_id"].tolist() == rows["entity_id"].tolist()
    np.testing.assert_allclose(written["probability_1"], predict_proba(registered.bundles["2"], rows)[:, 1])
    queries = [r.body["configuration"]["query"]["query"] for r in bigquery.requests_to("POST", "jobs") if r.body]
    assert "SELECT `entity_id`, `tenure_months`" in queries[-1]  # only the needed columns are read


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("ALTER TABLE sales.rows DROP COLUMN region", r"missing column\(s\) region; the model reads"),
        ("ALTER TABLE sales.rows ALTER tenure_months TYPE VARCHAR", "column 'tenure_months' is STRING, but the model"),
        ("DELETE FROM sales.rows", "has no rows to predict"),
    ],
)
def test_a_bad_bigquery_table_is_refused_before_anything_is_written(
    registered: Registered, bigquery: FakeFeatureStoreApi, source: str, tmp_path: Path, change: str, problem: str
) -> None:
    bigquery.db.execute(change)
    with pytest.raises(BatchPredictError, match=f"bq://acme-ml.sales.rows: {problem}"):
        run_batch_predict(
            source, registered.registry_uri, MODEL, str(tmp_path / "p.parquet"), bigquery_endpoint=bigquery.endpoint
        )
    assert list(tmp_path.iterdir()) == []
