"""A window of the local server's request log, read with DuckDB (docs/monitoring.md).

components/serve writes sampled requests as Parquet files (serve.request_log): one row per
instance of an answered request (`status` 200, the raw inputs and the prediction), one row without
inputs per failed request (`instance_index` null, `status` 4xx/5xx), each with `request_time`,
`request_id`, `model_sha256` and `latency_ms`. Files written before `status` and `latency_ms`
existed held answered requests only: a missing status is read as 200, a missing latency as unknown.

A window is [start, end) in UTC. A model version is its model file's SHA-256, which the server
records and the version's bundle.json holds, so one log folder may hold any number of versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict

from mlops.monitoring.buckets import MonitoringError
from mlops.monitoring.config import HealthConfig
from mlops.sql import quote_literal

_REQUIRED = ("request_time", "request_id", "model_sha256", "instance_index")
PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}


@dataclass(frozen=True)
class Window:
    """[start, end) in UTC."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, length: timedelta) -> Window:
        end = end if end.tzinfo else end.replace(tzinfo=UTC)  # a naive time is UTC
        return cls(end - length, end)

    def before(self) -> Window:
        """The window of the same length that ends where this one starts (drift's comparison)."""
        return Window(self.start - (self.end - self.start), self.start)

    def __str__(self) -> str:
        return f"[{self.start.isoformat()}, {self.end.isoformat()})"


def open_request_log(connection: duckdb.DuckDBPyConnection, folder: str) -> duckdb.DuckDBPyRelation:
    """Every Parquet file under `folder` (recursively: one folder per endpoint) as one relation.

    MonitoringError naming the folder if it holds no files or they lack the request log columns.
    """
    files = sorted(str(path) for path in Path(folder).rglob("*.parquet")) if Path(folder).is_dir() else []
    if not files:
        raise MonitoringError(f"{folder}: no request log files (*.parquet); is a local endpoint serving with sampling?")
    listed = "[" + ", ".join(quote_literal(path) for path in files) + "]"
    try:
        relation = connection.sql(f"SELECT * FROM read_parquet({listed}, union_by_name = true)")
    except duckdb.Error as error:
        raise MonitoringError(f"{folder}: cannot read the request log: {str(error).splitlines()[0]}") from None
    if missing := [column for column in _REQUIRED if column not in relation.columns]:
        raise MonitoringError(f"{folder}: not a request log: no column(s) {missing}; columns {relation.columns}")
    # Older files: no status (they held answered requests only) and no latency.
    present = [column for column in ("status", "latency_ms") if column in relation.columns]
    status = "status" if "status" in present else "NULL"
    latency = "latency_ms" if "latency_ms" in present else "NULL"
    extra = f"COALESCE(CAST({status} AS INTEGER), 200) AS status, CAST({latency} AS DOUBLE) AS latency_ms"
    return relation.select(f"* EXCLUDE ({', '.join(present)}), {extra}" if present else f"*, {extra}")


def in_window(log: duckdb.DuckDBPyRelation, model_sha256: str, window: Window) -> duckdb.DuckDBPyRelation:
    """The log's rows of one model version whose request time is in `window`."""
    return log.filter(
        f"model_sha256 = {quote_literal(model_sha256)} "
        f"AND request_time >= CAST({quote_literal(window.start.isoformat())} AS TIMESTAMPTZ) "
        f"AND request_time < CAST({quote_literal(window.end.isoformat())} AS TIMESTAMPTZ)"
    )


def answered(rows: duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """The instances of answered requests (2xx): what skew and drift score."""
    return rows.filter("instance_index IS NOT NULL AND status BETWEEN 200 AND 299")


def row_count(relation: duckdb.DuckDBPyRelation) -> int:
    return int(relation.aggregate("count(*)").fetchall()[0][0])


class HealthCheck(BaseModel):
    """One health value against its threshold (crossed when strictly greater)."""

    model_config = ConfigDict(frozen=True)

    name: str  # error_rate, latency_p50_ms, ...
    value: float | None  # None: nothing measured (no latency recorded)
    threshold: float
    crossed: bool


class HealthReport(BaseModel):
    """Serving health of a window: requests, errors and latency percentiles, per request."""

    model_config = ConfigDict(frozen=True)

    requests: int
    errors: int
    error_rate: float
    latency_ms: dict[str, float | None]  # p50, p95, p99 (linear interpolation, as numpy's default)
    checks: list[HealthCheck]

    @property
    def crossed(self) -> list[str]:
        return [check.name for check in self.checks if check.crossed]


def serving_health(rows: duckdb.DuckDBPyRelation, config: HealthConfig) -> HealthReport:
    """Error rate and latency percentiles of the requests in `rows` (one window, one version).

    A request of many instances has many rows: each request counts once, with its status and latency.
    """
    requests = rows.aggregate("request_id, max(status) AS status, max(latency_ms) AS latency_ms", "request_id")
    quantiles = ", ".join(f"quantile_cont(latency_ms, {q})" for q in PERCENTILES.values())
    errors_sql = "count(*) FILTER (WHERE status NOT BETWEEN 200 AND 299)"
    row = requests.aggregate(f"count(*), {errors_sql}, {quantiles}").fetchall()[0]
    total, errors = int(row[0]), int(row[1])
    latency = {name: None if value is None else float(value) for name, value in zip(PERCENTILES, row[2:], strict=True)}
    rate = errors / total if total else 0.0
    limit = config.max_error_rate
    checks = [HealthCheck(name="error_rate", value=rate, threshold=limit, crossed=rate > limit)]
    for name, limit in config.latency_thresholds().items():
        value = latency[name]  # None (no latency recorded) crosses nothing
        crossed = value is not None and value > limit
        checks.append(HealthCheck(name=f"latency_{name}_ms", value=value, threshold=limit, crossed=crossed))
    return HealthReport(requests=total, errors=errors, error_rate=rate, latency_ms=latency, checks=checks)
