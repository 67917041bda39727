"""The drift benchmark's data: seeded synthetic tables of 10 numeric and 10 categorical features.

Each table is a folder of Parquet files written by DuckDB one chunk of rows at a time, so writing
10M rows never holds more than one chunk. Values come from a hash of the row number (no random
state), so the same arguments always give the same files. The serving tables carry the defects
monitoring must cope with: a shifted mean (f0), values beyond the training range (f1), NaN (f7),
an integer feature that arrives as floats (f8), a changed category mix (c0), an unseen category
(c9), nulls (f3, c7), a constant (f5), more categories than the baseline keeps (c5, c6).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

NUMERIC = [f"f{i}" for i in range(10)]
CATEGORICAL = [f"c{i}" for i in range(10)]


def _u(k: int, offset: int) -> str:
    """A uniform number in (0, 1) from the hash of the row number and the stream `k`."""
    return f"((hash(i * 32 + {k} + {offset}) % 1000000007) + 1) / 1000000008.0"


def _normal(k: int, offset: int) -> str:
    # Box-Muller from two uniform streams.
    return f"(sqrt(-2 * ln({_u(k, offset)})) * cos(2 * pi() * {_u(k + 16, offset)}))"


def select_rows(start: int, stop: int, serving: bool) -> str:
    """SQL for rows [start, stop) of the training table (serving=False) or of the serving table."""
    o = 7_000_000_000 if serving else 0  # other hash inputs: serving rows are new rows
    shift, top, drifted = ("0.5", "120", "1") if serving else ("0", "100", "0")
    columns = [
        f"{_normal(0, o)} + {shift} AS f0",
        f"{_u(1, o)} * {top} AS f1",
        f"-ln({_u(2, o)}) * 10 AS f2",
        f"CASE WHEN {_u(3, o)} < 0.02 THEN NULL ELSE {_normal(3, o)} END AS f3",
        f"CAST(floor({_u(4, o)} * 21) AS BIGINT) AS f4",
        "CAST(1.0 AS DOUBLE) AS f5",  # a bare 1.0 would be a DECIMAL column
        f"{_normal(6, o)} * 1000 AS f6",
        f"CASE WHEN {_u(7, o)} < 0.01 THEN 'NaN'::DOUBLE ELSE {_u(8, o)} END AS f7",
        f"CAST(floor({_u(9, o)} * 1000) AS {'DOUBLE' if serving else 'BIGINT'}) AS f8",
        f"exp({_normal(10, o)}) AS f9",
        f"['a', 'b', 'c'][1 + CAST(floor(pow({_u(11, o)}, {'2' if serving else '1'}) * 3) AS BIGINT)] AS c0",
    ]
    for i, levels in zip(range(1, 7), (5, 10, 20, 50, 100, 1000), strict=True):
        columns.append(f"'v' || CAST(floor(pow({_u(11 + i, o)}, 2) * {levels}) AS BIGINT) AS c{i}")
    columns += [
        f"CASE WHEN {_u(18, o)} < 0.05 THEN NULL ELSE ['n', 's', 'e', 'w'][1 + (i % 4)] END AS c7",
        f"CAST(floor({_u(19, o)} * 10) AS BIGINT) AS c8",
        f"'k' || CAST(floor({_u(20, o)} * (8 + {drifted})) AS BIGINT) AS c9",
    ]
    return f"SELECT {', '.join(columns)} FROM range({start}, {stop}) t(i)"


def write_table(folder: Path, rows: int, serving: bool, chunk_rows: int = 1_000_000, first_row: int = 0) -> Path:
    """Write `rows` rows as folder/part-NNNN.parquet, one chunk of at most `chunk_rows` at a time."""
    folder.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    for part, start in enumerate(range(first_row, first_row + rows, chunk_rows)):
        stop = min(start + chunk_rows, first_row + rows)
        target = str(folder / f"part-{part:04d}.parquet").replace("'", "''")
        connection.execute(f"COPY ({select_rows(start, stop, serving)}) TO '{target}' (FORMAT parquet)")
    connection.close()
    return folder
