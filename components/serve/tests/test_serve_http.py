"""The server's HTTP contract on loopback: routes, payloads, health, errors, limits, request sampling.

Each test runs the real ASGI app under uvicorn (in a thread, with the options `python -m serve`
uses) and talks HTTP to it; test_serve_process.py runs `python -m serve` itself.
"""

from __future__ import annotations

import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq

from mlops.predictor import Predictor
from serve import api
from serve_fixtures import CHURN_ROW, call, make_app, parquet_rows, post, running  # pants: no-infer-dep

pytest_plugins = ["serve_fixtures"]  # fixtures: see serve_fixtures.py
COLUMNS = list(CHURN_ROW)


def test_health_is_503_until_the_model_is_loaded_then_200(bundles) -> None:
    app = make_app(bundles["churn"])
    with running(app, lifespan="off") as url:  # no startup: nothing loads until load() below
        status, answer = call(url + api.DEFAULT_HEALTH_ROUTE)
        assert (status, answer["error"]["message"]) == (503, "the model is loading")
        app.load()
        assert call(url + api.DEFAULT_HEALTH_ROUTE) == (200, {"status": "ready"})
        api.wait_for_health(url, timeout=5)


def test_objects_and_lists_predict_as_the_predictor_does(bundles) -> None:
    expected = Predictor.load(bundles["churn"]).predict_instances([CHURN_ROW])[0]
    with running(make_app(bundles["churn"])) as url:
        api.wait_for_health(url, timeout=30)
        as_list = [CHURN_ROW[name] for name in COLUMNS]
        status, answer = post(url + "/predict", {"instances": [CHURN_ROW, as_list], "parameters": {}})
        assert status == 200
        assert answer == {"predictions": [expected, expected]}
        assert set(expected) == {"label", "classes", "scores"} and expected["label"] in expected["classes"]
        assert api.predict(url, [CHURN_ROW]) == [expected]


def test_regression_predicts_values(bundles) -> None:
    with running(make_app(bundles["energy"])) as url:
        api.wait_for_health(url, timeout=30)
        row = {"floor_area_m2": 120, "outdoor_temp_c": 4.5, "occupancy_rate": 0.7, "building_type": "office"}
        status, answer = post(url + "/predict", {"instances": [{**row, "insulation": None}]})
        assert status == 200 and list(answer["predictions"][0]) == ["value"]
        assert isinstance(answer["predictions"][0]["value"], float)


def test_routes_and_port_come_from_the_aip_variables(bundles) -> None:
    app = make_app(bundles["churn"], health_route="/v1/ping", predict_route="/v1/models/churn:predict")
    with running(app) as url:
        api.wait_for_health(url, timeout=30, route="/v1/ping")
        assert call(url + "/v1/models/churn:predict", json.dumps({"instances": [CHURN_ROW]}).encode())[0] == 200
        assert call(url + "/predict", json.dumps({"instances": [CHURN_ROW]}).encode())[0] == 404
        assert call(url + "/health")[0] == 404
        assert call(url + "/v1/models/churn:predict")[0] == 405  # GET on the predict route


BAD_REQUESTS = [
    (b'{"instances": [', 400, None, None, "not valid JSON"),
    (b"[1, 2]", 400, None, "instances", 'must be a JSON object {"instances"'),
    (b'{"rows": []}', 400, None, "instances", "must be a JSON object"),
    (b'{"instances": [], "extra": 1}', 400, None, "extra", "unknown key 'extra'"),
    (b'{"instances": [{}], "parameters": [1]}', 400, None, "parameters", "parameters must be a JSON object"),
    (b'{"instances": []}', 400, None, None, "is empty"),
    (b'{"instances": {"a": 1}}', 400, None, None, "must be a list"),
    (json.dumps({"instances": [CHURN_ROW, "row"]}).encode(), 400, 1, None, "expected an object or a list"),
    (json.dumps({"instances": [{**CHURN_ROW, "tenure_months": "12"}]}).encode(), 400, 0, "tenure_months", "a number"),
    (json.dumps({"instances": [{**CHURN_ROW, "region": {"a": 1}}]}).encode(), 400, 0, "region", "text or a number"),
    (json.dumps({"instances": [{**CHURN_ROW, "colour": "red"}]}).encode(), 400, 0, "colour", "unknown field"),
    (json.dumps({"instances": [{"tenure_months": 1}]}).encode(), 400, 0, "monthly_charges", "missing"),
    (json.dumps({"instances": [[1, 2]]}).encode(), 400, 0, None, "expected 6 values"),
    (b'{"instances": [' + b'"x",' * 400_000 + b'"x"]}', 413, None, None, "over the limit of 1,500,000 bytes"),
]


def test_each_bad_request_is_a_client_error_and_the_server_keeps_serving(bundles) -> None:
    with running(make_app(bundles["churn"])) as url:
        api.wait_for_health(url, timeout=30)
        for body, status, instance, field, words in BAD_REQUESTS:
            got, answer = call(url + "/predict", body)
            assert got == status, (body[:60], answer)
            error = answer["error"]
            assert (error["instance"], error["field"]) == (instance, field), error
            assert words in error["message"] and "Traceback" not in error["message"]
            assert post(url + "/predict", {"instances": [CHURN_ROW]})[0] == 200  # still serving


def test_a_bounded_load_gets_only_correct_answers(bundles) -> None:
    expected = Predictor.load(bundles["churn"]).predict_instances([CHURN_ROW])
    with running(make_app(bundles["churn"])) as url:
        api.wait_for_health(url, timeout=30)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: post(url + "/predict", {"instances": [CHURN_ROW]}), range(400)))
        assert time.monotonic() - started < 120  # a cap, not a speed test: bench/serving.py measures
        assert answers == [(200, {"predictions": expected})] * 400


def test_sampled_requests_are_written_in_batches_and_at_shutdown(bundles, tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    app = make_app(bundles["churn"], request_log_dir=str(folder), request_log_rate=1.0, request_log_batch=4)
    with running(app) as url:
        api.wait_for_health(url, timeout=30)
        for _ in range(5):  # 5 requests of 2 instances: 10 rows, two full batches of at least 4
            assert post(url + "/predict", {"instances": [CHURN_ROW, [None] * 6]})[0] == 200
        assert post(url + "/predict", {"instances": [{"bad": 1}]})[0] == 400  # one row: status, no inputs
        deadline = time.monotonic() + 10
        while parquet_rows(folder) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parquet_rows(folder) == 8  # the 3 rows left are buffered until shutdown
    assert parquet_rows(folder) == 11
    assert not [path for path in folder.iterdir() if not path.name.endswith(".parquet")]  # no temporary files
    table = pq.read_table(folder).to_pandas()
    assert {*COLUMNS, "request_time", "request_id", "predicted_label", "prediction", "status", "latency_ms"} <= set(
        table.columns
    )
    answered, failed = table[table["status"] == 200], table[table["status"] != 200]
    assert answered["tenure_months"].isna().sum() == 5 and (answered["region"] == "north").sum() == 5
    assert answered["predicted_label"].notna().all() and answered["request_id"].nunique() == 5
    assert failed["status"].tolist() == [400] and failed["instance_index"].isna().all()
    assert failed["region"].isna().all() and failed["prediction"].isna().all()
    assert (table["latency_ms"] > 0).all()


def test_a_quiet_endpoint_writes_its_rows_once_they_have_waited_the_flush_interval(bundles, tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    app = make_app(bundles["churn"], request_log_dir=str(folder), request_log_rate=1.0, request_log_flush_seconds=0.5)
    with running(app) as url:
        api.wait_for_health(url, timeout=30)
        assert post(url + "/predict", {"instances": [CHURN_ROW, CHURN_ROW]})[0] == 200  # 2 rows: no full batch
        deadline = time.monotonic() + 10
        while parquet_rows(folder) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert parquet_rows(folder) == 2  # written while the server still runs, not at shutdown
    assert parquet_rows(folder) == 2


def test_no_requests_are_recorded_at_rate_zero(bundles, tmp_path: Path) -> None:
    folder = tmp_path / "requests"
    app = make_app(bundles["churn"], request_log_dir=str(folder), request_log_rate=0.0)
    with running(app) as url:
        api.wait_for_health(url, timeout=30)
        assert post(url + "/predict", {"instances": [CHURN_ROW]})[0] == 200
    assert parquet_rows(folder) == 0


def test_a_chunked_body_is_cut_off_at_the_limit(bundles) -> None:
    # No Content-Length to refuse up front: the server counts while it reads.
    with running(make_app(bundles["churn"])) as url:
        api.wait_for_health(url, timeout=30)
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=30)
        chunks = (b"x" * 100_000 for _ in range(20))  # 2 MB
        connection.request("POST", "/predict", body=chunks, encode_chunked=True)
        response = connection.getresponse()
        assert response.status == 413
        assert "over the limit" in json.loads(response.read())["error"]["message"]
        assert post(url + "/predict", {"instances": [CHURN_ROW]})[0] == 200
