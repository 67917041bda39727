"""The step on Vertex AI's request-response table (bq://...): the same requests as the local log,
logged the way Vertex AI logs them (one row per answered request, its instances as JSON), read
through the real BigQuery client from the local fake of its REST API, score exactly as the local
log does. Failed requests and latency are not in that table."""

import json
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mlops.monitoring.buckets import MonitoringError
from mlops.testing.fake_feature_store import FakeFeatureStoreApi
from mlops.testing.monitoring import MODEL, Registered
from monitor_fixtures import monitor  # pants: no-infer-dep (the BUILD's fixtures target)

pytest_plugins = ["monitor_fixtures"]
FEATURES = ["tenure_months", "monthly_charges", "support_calls", "contract_type", "payment_method", "region"]
TABLE = "bq://acme-mlops-dev.serving_logs.predictions"


@pytest.fixture()
def bigquery(registered: Registered, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFeatureStoreApi]:
    """The registered version's local request log, as Vertex AI's request-response table."""
    files = sorted(Path(registered.requests).rglob("*.parquet"))
    rows = [row for path in files for row in pq.read_table(path).to_pylist() if row["status"] == 200]
    answered = sorted(rows, key=lambda row: (row["request_id"], row["instance_index"]))
    with FakeFeatureStoreApi() as fake:
        fake.db.execute("CREATE SCHEMA serving_logs")
        fake.db.execute(
            "CREATE TABLE serving_logs.predictions (endpoint VARCHAR, deployed_model_id VARCHAR, "
            "logging_time TIMESTAMPTZ, request_id VARCHAR, request_payload VARCHAR[], response_payload VARCHAR[])"
        )
        for request_id, instances in groupby(answered, key=lambda row: row["request_id"]):
            batch = list(instances)
            payload = [json.dumps({name: row[name] for name in FEATURES}) for row in batch]
            for model in ("111", "222"):  # another deployed model (a canary) sends the same requests
                fake.db.execute(
                    "INSERT INTO serving_logs.predictions VALUES ('e', ?, ?, ?, ?, [])",
                    [model, batch[0]["request_time"], request_id, payload],
                )
        monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", fake.endpoint)
        yield fake


def test_the_request_response_table_scores_as_the_local_log(
    registered: Registered, bigquery: FakeFeatureStoreApi, tmp_path: Path
) -> None:
    local_result, local = monitor(registered, tmp_path / "local")
    result, outcome = monitor(registered, tmp_path / "vertex", source_uri=f"{TABLE}?deployed_model_id=111")
    assert (outcome.model, outcome.rows) == (MODEL, local.rows) == (MODEL, 60)
    assert outcome.crossed_features == local.crossed_features == ["tenure_months"]
    for mine, theirs in ((result.skew, local_result.skew), (result.drift, local_result.drift)):
        assert mine is not None and theirs is not None
        assert {s.feature: s.value for s in mine.features} == {s.feature: s.value for s in theirs.features}
    # What the table does not hold: the two failed requests, and any latency.
    assert outcome.requests == local.requests - 2 and outcome.crossed_health == []
    assert result.health.latency_ms == {"p50": None, "p95": None, "p99": None}
    assert result.request_log == f"{TABLE}?deployed_model_id=111"
    (query,) = (r for r in bigquery.requests_to("POST", "/bigquery/v2/projects/acme-mlops-dev/jobs"))
    assert {p["name"]: p["parameterValue"]["value"] for p in query.body["configuration"]["query"]["queryParameters"]}[
        "deployed_model_id"
    ] == "111"


def test_without_a_deployed_model_every_model_of_the_endpoint_is_read(
    registered: Registered, bigquery: FakeFeatureStoreApi, tmp_path: Path
) -> None:
    _, outcome = monitor(registered, tmp_path, source_uri=TABLE)
    assert outcome.rows == 120  # both deployed models' rows, recorded as this version's


def test_an_unknown_option_is_refused_by_name(
    registered: Registered, bigquery: FakeFeatureStoreApi, tmp_path: Path
) -> None:
    with pytest.raises(MonitoringError, match=r"unknown option\(s\) \['model'\]"):
        monitor(registered, tmp_path, source_uri=f"{TABLE}?model=3")
