"""The bq:// source through the real google-cloud-bigquery client, against a local fake of the
BigQuery REST API (mlops.testing.fake_feature_store), which runs the query in DuckDB."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from ingest.bigquery import BigQuerySourceError, parse_bigquery_uri, render_read_sql
from ingest.core import SPLITS, IngestError, IngestResult, SplitSpec, ingest_to_parquet
from mlops.retries import retry_transient
from mlops.sample_data import SampleSpec, generate
from mlops.testing.fake_feature_store import FakeFeatureStoreApi


@pytest.fixture
def bigquery() -> Iterator[FakeFeatureStoreApi]:
    """A fake BigQuery holding `acme-ml.sales.churn`: 500 sample churn rows."""
    with FakeFeatureStoreApi() as fake:
        fake.db.register("churn_rows", generate(SampleSpec("churn", rows=500, seed=5)))
        fake.db.execute("CREATE SCHEMA sales; CREATE TABLE sales.churn AS SELECT * FROM churn_rows")
        yield fake


def outputs_in(folder: Path) -> dict[str, str]:
    return {split: str(folder / f"{split}.parquet") for split in SPLITS}


def test_a_bigquery_table_is_split_like_a_file(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    result = ingest_to_parquet(
        "bq://acme-ml.sales.churn",
        outputs_in(tmp_path),
        SplitSpec(key_column="entity_id"),
        bigquery_endpoint=bigquery.endpoint,
    )
    assert result.total_rows == 500
    read_back = [pq.read_table(path) for path in outputs_in(tmp_path).values()]
    assert sum(table.num_rows for table in read_back) == 500
    assert sorted(i for t in read_back for i in t.column("entity_id").to_pylist()) == list(range(500))
    assert read_back[0].column_names == [f[0] for f in bigquery.db.execute("DESCRIBE sales.churn").fetchall()]
    (query_job,) = bigquery.requests_to("POST", "/bigquery/v2/projects/acme-ml/jobs")
    assert "FROM `acme-ml.sales.churn`" in query_job.body["configuration"]["query"]["query"]


def test_limit_reads_only_that_many_rows(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    result = ingest_to_parquet(
        "bq://acme-ml.sales.churn?limit=40", outputs_in(tmp_path), bigquery_endpoint=bigquery.endpoint
    )
    assert result.total_rows == 40


def test_a_bigquery_outage_is_retried_then_the_table_is_read(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    # The query job's first request times out at the gateway; the client library retries 429, 500,
    # 502 and 503 on its own, but not a 504.
    bigquery.outages = [504]
    slept: list[float] = []

    def read() -> IngestResult:
        return ingest_to_parquet("bq://acme-ml.sales.churn", outputs_in(tmp_path), bigquery_endpoint=bigquery.endpoint)

    # What the ingest step does around its core call (ingest.component), with the config's retries.
    result = retry_transient(read, what="ingest", retries=2, sleep=slept.append)
    assert result.total_rows == 500 and slept == [2.0]
    assert len(bigquery.requests_to("POST", "/bigquery/v2/projects/acme-ml/jobs")) == 2


def test_a_missing_table_is_not_retried(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    slept: list[float] = []

    def read() -> IngestResult:
        return ingest_to_parquet("bq://acme-ml.sales.nope", outputs_in(tmp_path), bigquery_endpoint=bigquery.endpoint)

    with pytest.raises(IngestError, match="BigQuery could not read acme-ml.sales.nope") as raised:
        retry_transient(read, what="ingest", retries=2, sleep=slept.append)
    assert slept == [] and len(bigquery.requests_to("POST", "/bigquery/v2/projects/acme-ml/jobs")) == 1
    assert raised.value.__cause__ is None  # one line, no chained Google error


def test_a_missing_table_is_named(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"bq://acme-ml.sales.nope: BigQuery could not read acme-ml.sales.nope"):
        ingest_to_parquet("bq://acme-ml.sales.nope", outputs_in(tmp_path), bigquery_endpoint=bigquery.endpoint)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("bq://sales.churn", r"expected bq://PROJECT.DATASET.TABLE"),
        ("bq://acme-ml.sales.churn?rows=5", r"unknown parameter\(s\) \['rows'\]"),
        ("bq://acme-ml.sales.churn?limit=0", r"limit must be a whole number of at least 1, got '0'"),
    ],
)
def test_bad_bigquery_uris_are_named(uri: str, message: str) -> None:
    with pytest.raises(BigQuerySourceError, match=message):
        parse_bigquery_uri(uri)


def test_read_sql_comes_from_the_template() -> None:
    sql = render_read_sql(parse_bigquery_uri("bq://acme-ml.sales.churn?limit=7"))
    assert "SELECT *\nFROM `acme-ml.sales.churn`\nLIMIT 7" in sql
