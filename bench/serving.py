"""Benchmark: online serving, one instance per request, on loopback, against the same model.

    ./pants run bench:serving [-- --smoke] [--json serving.json]

Three ways to predict the same churn rows with the same LightGBM bundle (mlops.testing.bundles):
  1. floor:   `Predictor.predict_instances` in this process, no HTTP (the least a server can cost);
  2. serve:   `python -m serve`, our server (components/serve), as its image runs it;
  3. fastapi: a straightforward FastAPI + pandas + `pipeline.predict_proba` server (serving_fastapi.py);
  with --stacks also the choices of the web stack: `serve-h11` (our app on uvicorn's pure-Python
  h11 protocol and asyncio loop) and `fastapi-predictor` (FastAPI around our Predictor).
Both servers run with one worker process per CPU and write their access logs to a file. The load
generator keeps `concurrency` keep-alive connections busy (asyncio, in this process, so it shares
the CPUs with the server), sends a fixed number of requests per level and counts every answer that
is not a 200 with one prediction as an error. Reported as Markdown (and JSON with --json).
Goals (docs/benchmarks.md): at concurrency 1, p50 < 1 ms and p99 < 5 ms; at 32, at least 3x the
straightforward server's throughput; no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import serving_fastapi  # the baseline server's module, started in its own processes
from mlops.model_bundle import save_bundle
from mlops.predictor import Predictor
from mlops.testing.bundles import fit_bundle, write_splits
from serve import api

LEVELS = (1, 8, 32)


def requests_of(rows: list[dict[str, Any]]) -> list[bytes]:
    """One pre-encoded HTTP/1.1 request per row: the client's own cost stays out of the latency."""
    encoded = []
    for row in rows:
        body = json.dumps({"instances": [row]}).encode()
        head = f"POST /predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        encoded.append(head.encode() + b"\r\n\r\n" + body)
    return encoded


async def _connection(port: int, requests: list[bytes], turn: itertools.count, total: int, out: dict) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while (index := next(turn)) < total:
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.lower().split(b"\r\n")
            length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length"))
            body = await reader.readexactly(length)
            out["latencies"].append(time.perf_counter() - started)
            if head[9:12] != b"200" or len(json.loads(body)["predictions"]) != 1:
                out["errors"] += 1
    except (OSError, asyncio.IncompleteReadError, StopIteration, ValueError):
        out["errors"] += 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], concurrency: int, total: int, cap: float) -> dict:
    out: dict[str, Any] = {"latencies": [], "errors": 0}
    turn = itertools.count()
    started = time.perf_counter()
    workers = [_connection(port, requests, turn, total, out) for _ in range(concurrency)]
    with contextlib.suppress(TimeoutError):  # what is unanswered by then counts as errors
        await asyncio.wait_for(asyncio.gather(*workers), cap)
    seconds = time.perf_counter() - started
    out["errors"] += total - len(out["latencies"]) - out["errors"]  # unanswered within the cap
    return summary(out["latencies"], seconds, out["errors"])


def summary(latencies: list[float], seconds: float, errors: int) -> dict:
    """Requests, p50/p99 in ms, answers per second and errors of one measurement."""
    values = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies) + errors,
        "p50_ms": round(float(np.percentile(values, 50)), 3) if len(values) else None,
        "p99_ms": round(float(np.percentile(values, 99)), 3) if len(values) else None,
        "per_second": round(len(latencies) / seconds, 1),
        "errors": errors,
    }


def floor(predictor: Predictor, rows: list[dict[str, Any]], total: int) -> dict:
    """In-process prediction of one row at a time: the latency no server can beat."""
    latencies = []
    started = time.perf_counter()
    for index in range(total):
        begin = time.perf_counter()
        predictor.predict_instances([rows[index % len(rows)]])
        latencies.append(time.perf_counter() - begin)
    return summary(latencies, time.perf_counter() - started, 0)


def start(kind: str, bundle: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    """Start server `kind` on `port` with `workers` processes and wait until it is healthy."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "MODEL_DIR": bundle}
    env.update({api.STORAGE_URI_ENV: bundle, api.PORT_ENV: str(port), api.WORKERS_ENV: str(workers)})
    uvicorn = [sys.executable, "-m", "uvicorn", "--port", str(port), "--workers", str(workers), "--factory"]
    command = {
        "serve": api.command(),
        # --stacks: our app on uvicorn's pure-Python protocol and loop; FastAPI around our Predictor.
        "serve-h11": [*uvicorn, "serve.app:create_app", "--http", "h11", "--loop", "asyncio"],
        "fastapi-predictor": [*uvicorn, f"{serving_fastapi.__name__}:create_predictor_app"],
        "fastapi": [*uvicorn, f"{serving_fastapi.__name__}:create_app"],
    }[kind]
    process = subprocess.Popen(command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    api.wait_for_health(f"http://127.0.0.1:{port}", timeout=180)
    return process


def measure(args: argparse.Namespace) -> dict:
    """Fit the model, then measure the floor and each server at every concurrency level."""
    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    splits = write_splits(work, "churn", {"train": (5000, 1), "test": (500, 2)})
    save_bundle(fit_bundle("churn", splits["train"], "lightgbm"), str(work / "model"))
    predictor = Predictor.load(str(work / "model"))
    test = pd.read_parquet(splits["test"])[predictor.input_columns]
    rows = [{k: (None if pd.isna(v) else v) for k, v in row.items()} for row in test.to_dict("records")]
    requests, counts = requests_of(rows), {1: args.requests, 8: args.requests * 2, 32: args.requests * 4}
    expected = predictor.predict_instances(rows[:1])
    servers = ("serve", "serve-h11", "fastapi-predictor", "fastapi") if args.stacks else ("serve", "fastapi")
    results: dict[str, Any] = {"floor": {1: floor(predictor, rows, args.requests)}, **{kind: {} for kind in servers}}
    for kind in servers:
        process = start(kind, str(work / "model"), args.port, args.workers, work / f"{kind}.log")
        try:
            got = api.predict(f"http://127.0.0.1:{args.port}", rows[:1])
            same = got[0]["label"] == expected[0]["label"]
            same = same and np.allclose(got[0]["scores"], expected[0]["scores"], atol=1e-6)
            asyncio.run(_load(args.port, requests, 4, args.warmup, 120))  # warm up: imports, caches
            for level in LEVELS:
                results[kind][level] = asyncio.run(_load(args.port, requests, level, counts[level], args.cap))
                results[kind][level]["errors"] += 0 if same else 1
        finally:
            process.terminate()
            process.wait(60)
    return {"workers": args.workers, "cpus": os.cpu_count(), "results": results}


def report(measured: dict) -> str:
    """The results as a Markdown table with ratios to our server, and the goals."""
    results = measured["results"]
    lines = [
        f"Server workers: {measured['workers']} (CPUs: {measured['cpus']}); one instance per request.",
        "",
        "| concurrency | server | requests | p50 ms | p99 ms | requests/s | errors | p50 vs serve "
        "| requests/s vs serve |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for level in LEVELS:
        ours = results["serve"][level]
        for kind in results:
            row = results[kind].get(level)
            if row is None:
                continue
            p50 = f"{row['p50_ms'] / ours['p50_ms']:.2f}x" if ours["p50_ms"] else "-"
            rate = f"{row['per_second'] / ours['per_second']:.2f}x" if ours["per_second"] else "-"
            lines.append(
                f"| {level} | {kind} | {row['requests']} | {row['p50_ms']} | {row['p99_ms']} | "
                f"{row['per_second']:,.0f} | {row['errors']} | {p50} | {rate} |"
            )
    one, top = results["serve"][1], results["serve"][32]
    speedup = top["per_second"] / max(results["fastapi"][32]["per_second"], 1e-9)
    errors = sum(row["errors"] for kind in results for row in results[kind].values())
    lines += [
        "",
        f"- concurrency 1: p50 {one['p50_ms']} ms (goal < 1), p99 {one['p99_ms']} ms (goal < 5)",
        f"- concurrency 32: {speedup:.1f}x the straightforward server's throughput (goal >= 3x)",
        f"- errors: {errors} (goal 0)",
    ]
    return "\n".join(lines)


def main() -> None:
    """Parse the options, measure, print the report; exit non-zero if any request failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests at concurrency 1 (x2 at 8, x4 at 32)")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--cap", type=float, default=300.0, help="seconds allowed per level; unanswered = errors")
    parser.add_argument("--stacks", action="store_true", help="also: our app on h11 + asyncio, FastAPI + Predictor")
    parser.add_argument("--smoke", action="store_true", help="a few requests per level: checks it runs, in seconds")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.warmup, args.cap = 50, 20, 60.0
    measured = measure(args)
    print(report(measured))
    if args.json:
        args.json.write_text(json.dumps(measured, indent=2))
    if any(row["errors"] for rows in measured["results"].values() for row in rows.values()):
        sys.exit("bench: some requests failed (see the errors column)")


if __name__ == "__main__":
    main()
