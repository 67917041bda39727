"""Vertex AI's request-response log (BigQuery) read through the real google-cloud-bigquery client
against the local fake of the BigQuery REST API, into request log files that monitoring scores.

The table is written by hand with the defects a real log has: instances missing a feature, numbers
sent as text, a category sent as a number, a value the server would refuse, payload elements that
are not JSON objects, requests of another deployed model and outside the window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlops.monitoring.baseline import compute_baseline
from mlops.monitoring.bigquery_log import export_window
from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import MonitoringConfig
from mlops.monitoring.monitor import Window, monitor_window
from mlops.testing.fake_feature_store import FakeFeatureStoreApi

TABLE = "bq://acme-mlops-dev.serving_logs.predictions"
END = datetime(2026, 12, 2, tzinfo=UTC)
WINDOW = Window.ending(END, timedelta(days=1))
INPUTS = {"tenure": "number", "plan": "category"}
SHA = "c" * 64


def payload(*instances: object) -> list[str]:
    return [item if isinstance(item, str) else json.dumps(item) for item in instances]


REQUESTS = [
    # (deployed model, hours before END, request payload)
    ("111", 2, payload({"tenure": 3, "plan": "a"}, {"tenure": "12.5", "plan": "b"})),
    ("111", 3, payload({"plan": "c"}, {"tenure": 7, "plan": 2})),  # tenure missing; plan as a number
    ("111", 4, payload({"tenure": "n/a", "plan": "a"}, "not json", [1, "a"])),  # refused value; two bad elements
    ("111", 5, payload()),  # an empty request
    ("222", 1, payload({"tenure": 99, "plan": "z"})),  # another deployed model on the endpoint
    ("111", 30, payload({"tenure": 1, "plan": "a"})),  # the day before: drift's comparison
    ("111", 0, payload({"tenure": 50, "plan": "a"})),  # at END: outside [start, end)
]


@pytest.fixture()
def bigquery() -> Iterator[FakeFeatureStoreApi]:
    with FakeFeatureStoreApi() as fake:
        fake.db.execute("CREATE SCHEMA serving_logs")
        fake.db.execute(
            "CREATE TABLE serving_logs.predictions (endpoint VARCHAR, deployed_model_id VARCHAR, "
            "logging_time TIMESTAMPTZ, request_id DECIMAL(38, 0), request_payload VARCHAR[], "
            "response_payload VARCHAR[])"
        )
        for number, (model, hours, instances) in enumerate(REQUESTS):
            fake.db.execute(
                "INSERT INTO serving_logs.predictions VALUES ('projects/p/locations/l/endpoints/9', ?, ?, ?, ?, [])",
                [model, END - timedelta(hours=hours), 1000 + number, instances],
            )
        yield fake


def rows_of(folder: Path) -> list[dict]:
    files = sorted(folder.glob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]).to_pylist() if files else []


def test_the_window_of_one_deployed_model_becomes_request_log_rows(
    bigquery: FakeFeatureStoreApi, tmp_path: Path
) -> None:
    out = tmp_path / "log"
    exported = export_window(TABLE, WINDOW, INPUTS, str(out), SHA, deployed_model_id="111", endpoint=bigquery.endpoint)
    assert (exported.requests, exported.instances, exported.unreadable) == (4, 5, 2)
    rows = rows_of(out)
    assert [(r["request_id"], r["instance_index"], r["tenure"], r["plan"]) for r in rows] == [
        ("1002", 0, None, "a"),  # "n/a" is not a number: null, as a missing value
        ("1001", 0, None, "c"),
        ("1001", 1, 7.0, "2"),  # a category sent as a number is its text, as the server logs it
        ("1000", 0, 3.0, "a"),
        ("1000", 1, 12.5, "b"),  # a number sent as text
    ]
    assert {(r["model_sha256"], r["status"], r["latency_ms"]) for r in rows} == {(SHA, 200, None)}
    assert rows[0]["request_time"] == END - timedelta(hours=4)
    # The query was parameterized, never built from the window's values.
    (query,) = bigquery.requests_to("POST", "/bigquery/v2/projects/acme-mlops-dev/jobs")
    sent = query.body["configuration"]["query"]
    assert "@start" in sent["query"] and WINDOW.start.isoformat()[:10] not in sent["query"]
    assert {p["name"] for p in sent["queryParameters"]} == {"start", "end", "deployed_model_id"}


def test_pages_become_files_and_every_deployed_model_is_kept_without_a_filter(
    bigquery: FakeFeatureStoreApi, tmp_path: Path
) -> None:
    out = tmp_path / "log"
    exported = export_window(TABLE, WINDOW, INPUTS, str(out), SHA, endpoint=bigquery.endpoint, page_rows=2)
    assert (exported.requests, exported.instances) == (5, 6)
    assert len(list(out.glob("*.parquet"))) == 3  # 5 requests, 2 a page
    assert 99.0 in [r["tenure"] for r in rows_of(out)]


def test_the_exported_window_is_scored_like_a_local_log(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    train = tmp_path / "train.parquet"
    columns = {"tenure": [float(i % 12) for i in range(48)], "plan": ["abc"[i % 3] for i in range(48)]}
    pq.write_table(pa.table(columns), train)
    baseline = compute_baseline(str(train), numeric=["tenure"], categorical=["plan"])
    out = tmp_path / "log"
    both = Window(WINDOW.before().start, WINDOW.end)  # the window and the one before, for drift
    export_window(TABLE, both, INPUTS, str(out), SHA, deployed_model_id="111", endpoint=bigquery.endpoint)
    result = monitor_window(baseline, str(out), SHA, WINDOW, MonitoringConfig(), model="churn", version="3")
    assert result.rows == 5 and result.health.requests == 3  # the empty request has no rows
    assert result.skew is not None and result.drift is not None
    assert result.health.latency_ms == {"p50": None, "p95": None, "p99": None}


def test_an_unreadable_table_is_one_error_naming_it(bigquery: FakeFeatureStoreApi, tmp_path: Path) -> None:
    with pytest.raises(MonitoringError, match=r"bq://acme-mlops-dev\.serving_logs\.missing: BigQuery could not read"):
        export_window("bq://acme-mlops-dev.serving_logs.missing", WINDOW, INPUTS, str(tmp_path), SHA,
                      endpoint=bigquery.endpoint)  # fmt: skip
    with pytest.raises(MonitoringError, match="expected the request-response table as bq://"):
        export_window("serving_logs.predictions", WINDOW, INPUTS, str(tmp_path), SHA, endpoint=bigquery.endpoint)
    assert not list(tmp_path.glob("*.parquet"))
