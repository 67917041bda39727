"""For monitoring tests: a registered churn version with a baseline from a small hand-written
training table, and request log files in the model server's layout (mlops.request_log_schema).

The baseline scores tenure_months and monthly_charges as numbers, contract_type and support_calls
(whole numbers in training, DOUBLE in the log: 1.0 must count as "1") as categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from mlops.model_bundle import read_bundle, save_bundle
from mlops.monitoring.baseline import compute_baseline, save_baseline
from mlops.registry import open_registry
from mlops.request_log_schema import request_log_schema
from mlops.testing.bundles import fit_bundle

MODEL = "churn-classifier"
END = datetime(2026, 12, 2, tzinfo=UTC)
DAY = timedelta(days=1)
CONTRACTS = ["monthly", "yearly", "two_year"]
SCHEMA = request_log_schema(
    {"tenure_months": "number", "monthly_charges": "number", "support_calls": "number",
     "contract_type": "text", "payment_method": "text", "region": "text"}
)  # fmt: skip


def training_table(path: Path) -> str:
    """60 rows: tenure 1..60, charges 20..79, support calls 0..3 as integers, three contracts."""
    rows = range(60)
    table = pa.table(
        {
            "tenure_months": [float(i + 1) for i in rows],
            "monthly_charges": [20.0 + i for i in rows],
            "support_calls": pa.array([i % 4 for i in rows], pa.int64()),
            "contract_type": [CONTRACTS[i % 3] for i in rows],
            "payment_method": ["card" if i % 2 else "bank" for i in rows],
            "region": ["north" if i < 30 else "south" for i in rows],
            "churned": [i % 2 for i in rows],
        }
    )
    pq.write_table(table, path)
    return str(path)


def log_rows(at: datetime, sha: str, *, shift: float = 0.0, defects: bool = False) -> list[dict]:
    """20 answered requests of 3 instances each: the training rows, tenure shifted by `shift`.

    With `defects`: a null and an unseen contract, a null charge, and two failed requests (no inputs).
    """
    rows = []
    for j in range(60):
        request = j // 3
        contract: str | None = CONTRACTS[j % 3]
        charges: float | None = 20.0 + j
        if defects and j == 0:
            contract = None
        if defects and j == 1:
            contract = "weekly"  # never seen in training
        if defects and j == 4:
            charges = None
        rows.append(
            {"request_time": at + timedelta(minutes=request), "request_id": f"{at:%d}-{request}",
             "instance_index": j % 3, "model_sha256": sha, "status": 200, "latency_ms": 5.0,
             "tenure_months": j + 1 + shift, "monthly_charges": charges, "support_calls": float(j % 4),
             "contract_type": contract, "payment_method": "card", "region": "north"}
        )  # fmt: skip
    if defects:
        for k, status in enumerate((500, 400)):
            rows.append({"request_time": at + timedelta(hours=2, minutes=k), "request_id": f"{at:%d}-failed-{k}",
                         "instance_index": None, "model_sha256": sha, "status": status, "latency_ms": 2.0})  # fmt: skip
    return rows


def write_log(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=SCHEMA), folder / f"{name}.parquet")


@dataclass(frozen=True)
class Registered:
    registry_uri: str
    sha: str
    requests: str  # the request log folder: one endpoint's subfolder, two days


def register_monitored(tmp_path: Path, requests: Path | None = None) -> Registered:
    """`MODEL` version 1 (default) with a baseline, and `no-baseline` version 1 without one, in
    `tmp_path/registry`; a request log in `requests` (default `tmp_path/requests`), one endpoint's
    folder: the day before yesterday like training, yesterday (the day before END) tenure +500 with defects.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    train = training_table(tmp_path / "train.parquet")
    bundle = tmp_path / "bundle"
    save_bundle(fit_bundle("churn", train, "dummy"), str(bundle))
    baseline = compute_baseline(train, ["tenure_months", "monthly_charges"], ["contract_type", "support_calls"])
    save_baseline(baseline, str(bundle))
    registry = open_registry(str(tmp_path / "registry"))
    registry.register(MODEL, str(bundle), metrics={})
    bare = tmp_path / "bare"
    save_bundle(fit_bundle("churn", train, "dummy"), str(bare))
    registry.register("no-baseline", str(bare), metrics={})
    sha = read_bundle(str(bundle)).model_sha256
    requests = requests or tmp_path / "requests"
    write_log(requests / "churn-endpoint", "yesterday", log_rows(END - 2 * DAY + timedelta(hours=1), sha))
    today = log_rows(END - DAY + timedelta(hours=1), sha, shift=500, defects=True)
    write_log(requests / "churn-endpoint", "today", today)
    return Registered(str(tmp_path / "registry"), sha, str(requests))
