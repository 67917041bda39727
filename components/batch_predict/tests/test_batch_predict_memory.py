"""Memory stays flat: a table far larger than the step's chunk budget is predicted in a child
process whose peak RSS grows by much less than the table's size (measured, not timed)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from batch_predict import core
from batch_predict_fixtures import MODEL, Registered  # pants: no-infer-dep (the BUILD names it)

pytest_plugins = ["batch_predict_fixtures"]
ROWS = 5_000_000
# The child imports everything and loads the model first, then resets its peak RSS (Linux: writing 5
# to /proc/self/clear_refs resets the high-water mark), so the growth measured is what predicting the
# table costs, not what Python, its libraries and unpickling did before. The peak is read from
# /proc/self/status (VmHWM): getrusage's ru_maxrss would also keep the high-water mark of the mm the
# child was forked with (the test process's own RSS), which clear_refs does not reset.
CHILD = """
import json, sys
from {module} import load_model, run_batch_predict
def status(key):  # KiB
    return int(open("/proc/self/status").read().split(key + ":")[1].split()[0])
source, registry, model, destination = sys.argv[1:5]
load_model(registry, model)
with open("/proc/self/clear_refs", "w") as stream:
    stream.write("5")
before = status("VmRSS")
result = run_batch_predict(source, registry, model, destination, key_columns=["entity_id"], chunk_rows=20_000)
print(json.dumps({{"rows": result.rows, "before_kib": before, "after_kib": status("VmHWM")}}))
"""


def write_rows(path: Path) -> int:
    """ROWS churn-like rows written by DuckDB straight to Parquet; returns their size in memory as Arrow
    (the least that reading the table whole would hold; pandas holds several times that)."""
    duckdb.sql(
        f"""COPY (SELECT md5(i::VARCHAR) AS entity_id, (i % 72)::DOUBLE AS tenure_months,
                20 + (i % 97)::DOUBLE AS monthly_charges, (i % 7)::DOUBLE AS support_calls,
                ['monthly', 'yearly', 'two_year'][1 + i % 3] AS contract_type,
                ['card', 'transfer', 'cheque'][1 + i % 3] AS payment_method, ['north', 'south'][1 + i % 2] AS region
            FROM range({ROWS}) t(i)) TO '{path}' (FORMAT parquet)"""
    )
    return int(pq.read_table(path).nbytes)


def test_peak_memory_grows_by_far_less_than_the_table(registered: Registered, tmp_path: Path) -> None:
    table_bytes = write_rows(tmp_path / "rows.parquet")
    child = CHILD.format(module=core.__name__)
    command = [sys.executable, "-c", child, str(tmp_path / "rows.parquet"), registered.registry_uri, MODEL]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(os.path.abspath(entry) for entry in sys.path)}
    done = subprocess.run([*command, str(tmp_path / "p.parquet")], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    growth = (measured["after_kib"] - measured["before_kib"]) * 1024
    assert measured["rows"] == ROWS == pq.ParquetFile(tmp_path / "p.parquet").metadata.num_rows
    # Predicting in chunks of 20,000 rows costs a fixed ~180 MiB (measured at 1M and 4M rows alike:
    # DuckDB's two scan threads ~100, chunk buffers, allocator arenas), whatever the table's size.
    before, after = measured["before_kib"] // 1024, measured["after_kib"] // 1024
    peaks = f"RSS {before} MiB before predicting, peak {after} MiB while predicting"
    print(f"table {table_bytes / 2**20:.0f} MiB in memory; {peaks}")
    assert table_bytes > 400 * 2**20
    assert growth < table_bytes / 2
