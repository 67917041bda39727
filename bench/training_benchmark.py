"""Benchmark: the training pipeline through the local runners vs the same steps as one plain script.

    ./pants run bench:training -- --rows 1000000 --throughput-rows 1000000,10000000
    ./pants run bench:training -- --rows 50000 --runners local,kfp-local --throughput-rows '' --repeat 3

Each measurement runs in its own child process, which reports peak memory two ways: the largest
process's peak RSS (the child's own, or that of the largest process it waited for, a step
included), and for pipelines the peak of the summed PSS of every process of the run, sampled
(process_memory: shared pages counted once, which RSS counts in every process that maps them).
Reported side by side, with ratios, as Markdown (and JSON with --json).
  1. script:    every step's KFP wrapper function called in order in one process (same code, no KFP)
  2. pipeline:  the `mlops run` program (`python -m mlops_cli.main`, a new interpreter: CLI start
     and exit included) with each of --runners (caching on), first run: `local` forks every step
     from a warm worker, `kfp-local` starts each as kfp.local does (a new interpreter)
  3. pipeline again with nothing changed (cache hits; champion/register are never cached by design)
  4. ingest + features alone, at each --throughput-rows size: rows per second
A step's overhead is its time in the pipeline minus the same function's time in the script.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from process_memory import PeakPss
from training_report import median_run, report

REPO_CONFIG = Path("config/pipelines/churn.yaml")


def child(mode: str, workdir: Path, rows: int, extra: list[str] | None = None) -> dict:
    """Run one measurement in a fresh interpreter; returns its result, its wall time and peak RSS."""
    started = time.perf_counter()
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--workdir", str(workdir), "--rows", str(rows), *(extra or [])],
        check=True,
        stdout=subprocess.PIPE,  # the result; stderr (progress, errors) goes to the terminal
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result.setdefault("wall_seconds", round(time.perf_counter() - started, 2))
    wait_for_recorders(workdir)
    return result


def wait_for_recorders(workdir: Path, timeout: float = 120.0) -> None:
    """Wait until the background recorders of the runs so far have moved their records into MLflow
    (mlops.run_journal), so that one measurement's recorder does not run during the next one."""
    deadline = time.monotonic() + timeout
    while any(workdir.rglob("pending/*.json")) and time.monotonic() < deadline:
        time.sleep(0.1)


def peak_rss_mib() -> float:
    """This process's peak RSS, or that of the largest child it waited for, whichever is larger (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def measure_script(workdir: Path, data: str) -> dict:
    from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Markdown, Metrics, Model

    from evaluate.component import evaluate
    from features.component import features
    from ingest.component import ingest
    from register.component import champion_challenger, register
    from train.component import train
    from validate.component import validate

    # Written by the parent (script_parameters): what the pipeline would pass, without this
    # process importing the CLI and the pipeline, which a plain script would not.
    params = json.loads((workdir / "script-parameters.json").read_text())

    def artifact(kind: type, name: str):
        folder = workdir / "script" / "artifacts" / name
        folder.mkdir(parents=True, exist_ok=True)
        return kind(name=name, uri=str(folder / "data"), metadata={})

    steps: dict[str, float] = {}

    def timed(step: str, run: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = run()
        steps[step] = round(time.perf_counter() - started, 3)
        return result

    splits = {s: artifact(Dataset, f"{s}_data") for s in ("train", "valid", "test")}
    timed("ingest", lambda: ingest(
        params["source_uri"], splits["train"], splits["valid"], splits["test"], params["split_method"],
        params["train_fraction"], params["valid_fraction"], params["test_fraction"], params["split_seed"],
        params["entity_column"], params["timestamp_column"]))  # fmt: skip
    timed("validate", lambda: validate(
        splits["train"], splits["valid"], splits["test"], artifact(Artifact, "schema"), artifact(Markdown, "report"),
        params["schema_uri"], params["max_violation_rate"]))  # fmt: skip
    feats = {s: artifact(Dataset, f"{s}_features") for s in ("train", "valid", "test")}
    timed("features", lambda: features(
        splits["train"], splits["valid"], splits["test"], feats["train"], feats["valid"], feats["test"],
        params["feature_spec"], params["target"], params["feature_store_uri"], params["feature_view"]))  # fmt: skip
    model = artifact(Model, "model")
    timed("train", lambda: train(
        feats["train"], feats["valid"], model, params["target"], params["problem_type"], params["numeric_features"],
        params["categorical_features"], params["model_type"], params["hyperparameters"], params["model_seed"],
        params["feature_transforms"], params["source_uri"], raw_train_data=splits["train"]))  # fmt: skip
    evaluation = artifact(Artifact, "evaluation")
    timed("evaluate", lambda: evaluate(
        model, feats["test"], artifact(Metrics, "metrics"), artifact(ClassificationMetrics, "cm"),
        artifact(HTML, "html"), evaluation))  # fmt: skip
    decision = artifact(Artifact, "decision")
    won = timed("champion", lambda: champion_challenger(
        model, feats["test"], evaluation, decision, params["registry_uri"], params["model_name"],
        params["champion_metric"], params["champion_margin"]))  # fmt: skip
    if won:
        timed("register", lambda: register(
            model, evaluation, decision, artifact(Artifact, "registered"), params["registry_uri"],
            params["model_name"], params["model_labels"]))  # fmt: skip
    tasks = {step: ["SUCCEEDED", seconds] for step, seconds in steps.items()}
    return {"seconds": round(sum(steps.values()), 2), "tasks": tasks, "peak_rss_mib": peak_rss_mib()}


def measure_pipeline(workdir: Path, data: str, runner: str, attempt: int) -> dict:
    """`mlops run` as a user runs it: the program in a new interpreter (CLI start included)."""
    import yaml

    from mlops.runs import RunRecord

    root = workdir / f"pipeline-{runner}-{attempt}"
    root.mkdir(parents=True, exist_ok=True)
    environment, pipeline = root / "environment.yaml", root / "pipeline.yaml"
    environment.write_text(yaml.safe_dump(_settings_data(root)))
    config = yaml.safe_load(REPO_CONFIG.read_text())
    config["data"]["source"] = data
    pipeline.write_text(yaml.safe_dump(config))
    run_id = f"bench-{runner}-{attempt}-{time.time_ns()}"
    command = [sys.executable, "-m", "mlops_cli.main", "--env", str(environment), "run", "--config", str(pipeline),
               "--runner", runner, "--run-id", run_id]  # fmt: skip
    with PeakPss(os.getpid()) as memory:
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)  # progress: stderr
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pipeline run failed: exit {done.returncode}")
    record = RunRecord.from_dict(json.loads((root / "data" / "runs" / f"{run_id}.json").read_text()))
    tasks = {task.name: [task.status, task.duration_seconds] for task in record.tasks}
    task_seconds = sum(task.duration_seconds for task in record.tasks)
    return {
        "seconds": round(seconds, 2),
        "wall_seconds": round(seconds, 2),  # the program's, from start to exit (not this child's)
        "task_seconds": round(task_seconds, 2),
        "tasks": tasks,
        "peak_rss_mib": peak_rss_mib(),
        "peak_pss_mib": memory.peak_mib,
    }


def measure_throughput(workdir: Path, data: str, rows: int) -> dict:
    from features.core import build_features
    from ingest.core import SplitSpec, ingest_to_parquet
    from mlops.feature_store import open_store
    from mlops.pipeline_config import load_pipeline_config

    config = load_pipeline_config(REPO_CONFIG)
    folder = workdir / f"throughput-{rows}"
    splits = {s: str(folder / "splits" / f"{s}.parquet") for s in ("train", "valid", "test")}
    started = time.perf_counter()
    ingest_to_parquet(data, splits, SplitSpec(key_column=config.data.entity_column))
    ingested = time.perf_counter()
    outputs = {s: str(folder / "features" / f"{s}.parquet") for s in splits}
    spec = {"entity_column": config.data.entity_column, "timestamp_column": config.data.timestamp_column,
            "transforms": config.features.transforms}  # fmt: skip
    store = open_store(str(folder / "store"))
    build_features(splits, spec, store, config.feature_view(), [config.data.target], outputs)
    done = time.perf_counter()
    return {"rows": rows, "ingest_seconds": round(ingested - started, 2), "features_seconds": round(done - ingested, 2),
            "rows_per_second": round(rows / (done - started)), "peak_rss_mib": peak_rss_mib()}  # fmt: skip


def _config_and_settings(root: Path, data: str):
    from mlops.config import Settings
    from mlops.pipeline_config import load_pipeline_config

    config = load_pipeline_config(REPO_CONFIG)
    config = config.model_copy(update={"data": config.data.model_copy(update={"source": data})})
    return config, Settings.model_validate(_settings_data(root))


def _settings_data(root: Path) -> dict:
    """A local environment whose stores are all under `root`."""
    return {"environment": "local", "storage_root": str(root / "data"), "metadata_dir": str(root / "metadata"),
            "gcp": {"project_id": "local-project", "pipeline_root": str(root / "pipeline-root")}}  # fmt: skip


def script_parameters(workdir: Path, data: str) -> None:
    """The parameters the plain script calls the steps with, as the pipeline's run would have them."""
    parameters = _parameters(workdir / "script", data)
    (workdir / "script-parameters.json").write_text(json.dumps(parameters))


def _parameters(root: Path, data: str) -> dict:
    from mlops_cli.commands import run_parameters
    from training.pipeline import DEFINITION

    config, settings = _config_and_settings(root, data)
    return run_parameters(DEFINITION, config, settings, {}, "bench-script")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--throughput-rows", default="1000000,10000000", help="'' for none")
    parser.add_argument("--runners", default="local,kfp-local", help="mlops run --runner values, side by side")
    parser.add_argument("--repeat", type=int, default=1, help="run every measurement N times; report medians")
    parser.add_argument("--attempt", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        data = str(args.workdir / f"churn-{args.rows}.parquet")
        work = {"script": lambda: measure_script(args.workdir, data),
                "pipeline": lambda: measure_pipeline(args.workdir, data, args.runners, args.attempt),
                "throughput": lambda: measure_throughput(args.workdir, data, args.rows)}[args.child]  # fmt: skip
        print(json.dumps(work()))
        return
    from mlops.sample_data import SampleSpec, write

    with tempfile.TemporaryDirectory(prefix="bench-training-") as tmp:
        workdir = Path(tmp)
        sizes = sorted({args.rows, *(int(n) for n in args.throughput_rows.split(",") if n)})
        for rows in sizes:
            print(f"bench: generating {rows:,} rows", file=sys.stderr, flush=True)
            write(SampleSpec("churn", rows, seed=7), workdir / f"churn-{rows}.parquet")
        script_parameters(workdir, str(workdir / f"churn-{args.rows}.parquet"))
        results: dict = {"rows": args.rows, "runners": args.runners.split(","), "repeat": args.repeat}
        runs: dict[str, list[dict]] = {}
        for attempt in range(args.repeat):  # interleaved, so that a busy spell hits every contender
            print(f"bench: script on {args.rows:,} rows ({attempt + 1}/{args.repeat})", file=sys.stderr, flush=True)
            runs.setdefault("script", []).append(child("script", workdir, args.rows))
            for runner in results["runners"]:
                extra = ["--runners", runner, "--attempt", str(attempt)]
                print(f"bench: pipeline ({runner}) on {args.rows:,} rows", file=sys.stderr, flush=True)
                runs.setdefault(f"pipeline {runner}", []).append(child("pipeline", workdir, args.rows, extra))
                print(f"bench: pipeline ({runner}) again, nothing changed", file=sys.stderr, flush=True)
                runs.setdefault(f"pipeline again {runner}", []).append(child("pipeline", workdir, args.rows, extra))
        results.update({name: median_run(found) for name, found in runs.items()})
        results["throughput"] = []
        for rows in [int(n) for n in args.throughput_rows.split(",") if n]:
            print(f"bench: ingest + features on {rows:,} rows", file=sys.stderr, flush=True)
            results["throughput"].append(child("throughput", workdir, rows))
    print(report(results))  # training_report
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
