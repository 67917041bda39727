"""`mlops monitor --model NAME[:VERSION] --window 1d`: monitor a locally served model version.

Reads the window [end - window, end) of the local request log (every endpoint's folder under
`<storage_root>/endpoints/local/requests/`, rows of the version's model only), scores skew against
the version's baseline and drift against the window before, and serving health (error rate,
latency percentiles); writes an HTML report and a metrics JSON, and sends one alert per window when
a threshold is crossed (docs/monitoring.md, "Monitoring a deployed model").

With `--retrain --config TRAINING_CONFIG`, a crossed skew or drift threshold runs the training
pipeline and deploys a version that wins its gate as a canary next to the monitored one
(mlops_cli.retrain). Serving health alone does not retrain: a new model does not fix a slow server.

Exit codes: 0 nothing crossed, 3 a threshold crossed (with --retrain: and nothing new registered),
4 with --retrain: a new version registered (and deployed as a canary), 1 the training run failed,
2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from mlops import storage
from mlops.config import Settings
from mlops.monitoring.config import MonitoringConfig, parse_window
from mlops_cli import retrain
from mlops_cli.deploy import local_root
from mlops_cli.errors import UsageError
from mlops_cli.pipelines import LoadedPipeline

COMMAND = "monitor"
EXIT_CROSSED = 3  # a threshold was crossed (0: none, 2: bad input)


def add_parser(commands: Any) -> None:
    """Add `monitor` to the CLI's subcommands (`commands`: argparse's subparsers action)."""
    parser = commands.add_parser(COMMAND, help="skew, drift and serving health of a served model version")
    parser.add_argument("--model", required=True, metavar="NAME[:VERSION]", help="default: the `default` version")
    parser.add_argument("--window", default="1d", help="window length: a count and a unit (m, h, d, w)")
    parser.add_argument("--end", help="window end, ISO 8601 (default: now; a time without zone is UTC)")
    parser.add_argument("--report", help="HTML report path (default: under <metadata_dir>/monitoring/)")
    parser.add_argument("--config", help="pipeline config whose monitoring: and notify_webhook apply")
    parser.add_argument("--request-log", help="request log folder, or bq://P.D.T (default: local endpoints' log)")
    parser.add_argument("--retrain", action="store_true", help="skew or drift crossed: train with --config, canary")
    retrain.add_arguments(parser)


def monitor(args: argparse.Namespace, settings: Settings) -> int:
    """Run one monitoring window; prints a summary; exit code 0, or EXIT_CROSSED."""
    from mlops.endpoints import parse_model_ref
    from mlops.monitoring.monitor import Window
    from mlops.monitoring.run import output_stem, publish, score_version

    try:
        length = parse_window(args.window)
    except ValueError as error:
        raise UsageError(f"--window: {error}") from None
    window = Window.ending(_end(args.end), length)
    if args.set and not args.retrain:
        raise UsageError("--set is for --retrain: the parameters of the training run")
    pipeline = retrain.training_pipeline(args.config, args) if args.retrain else None
    config, webhook = _monitoring_config(args.config, pipeline)
    name, number = parse_model_ref(args.model)
    log_folder = args.request_log or storage.join(local_root(settings), "requests")
    registry_uri = settings.resolved_registry_uri()
    result = score_version(registry_uri, name, number or "", log_folder, window, config, window_text=args.window)
    out = storage.join(settings.metadata_dir, "monitoring")
    report = args.report or storage.join(out, f"{output_stem(result)}.html")
    metrics = report.removesuffix(".html") + ".metrics.json"
    sent = publish(result, report, metrics, out, webhook, warn=_warn).alert
    print(_summary(result, report, metrics, sent), flush=True)
    if pipeline is None or not result.crossed:
        return EXIT_CROSSED if result.crossed else 0
    if not result.crossed_features:
        print("not retraining: only serving health crossed, which a new model does not fix")
        return EXIT_CROSSED
    endpoint = retrain.serving_endpoint(settings, name, result.version)
    code = retrain.retrain(settings, pipeline, args, endpoint=endpoint)
    return EXIT_CROSSED if code == 0 else code


def _warn(text: str) -> None:
    print(f"mlops: warning: {text}", file=sys.stderr)


def _end(text: str | None) -> datetime:
    if not text:
        return datetime.now(UTC)
    try:
        return datetime.fromisoformat(text)  # without a zone: UTC (Window.ending)
    except ValueError:
        raise UsageError(f"--end {text!r} is not an ISO 8601 time, e.g. 2026-12-02T00:00:00Z") from None


def _monitoring_config(path: str | None, pipeline: LoadedPipeline | None) -> tuple[MonitoringConfig, str]:
    """The config's monitoring section and its webhook's secret reference ("" if none)."""
    if not path:
        return MonitoringConfig(), ""
    from mlops_cli.pipelines import load_pipeline

    config = (pipeline or load_pipeline(path)).config
    monitoring = getattr(config, "monitoring", None)
    if not isinstance(monitoring, MonitoringConfig):
        raise UsageError(f"{path}: has no monitoring: section (use a training pipeline config)")
    return monitoring, str(getattr(config, "notify_webhook", "") or "")


def _summary(result: Any, report: str, metrics: str, sent: dict[str, str]) -> str:
    health = result.health
    latency = ", ".join(f"{k} {v:.1f} ms" if v is not None else f"{k} n/a" for k, v in health.latency_ms.items())
    span = f"[{result.start.isoformat()}, {result.end.isoformat()})"
    lines = [
        f"{result.model}:{result.version} window {result.window} {span}",
        f"rows scored: {result.rows} (requests: {health.requests}, errors: {health.errors}, "
        f"error rate {health.error_rate:.2%}; latency {latency})",
        f"skew crossed: {', '.join(result.skew.crossed) if result.skew and result.skew.crossed else 'none'}",
        "drift crossed: "
        + (("none" if not result.drift.crossed else ", ".join(result.drift.crossed)) if result.drift else "n/a"),
        f"health crossed: {', '.join(health.crossed) or 'none'}",
        f"report: {report}",
        f"metrics: {metrics}",
    ]
    if sent:
        lines.append("alert: " + ", ".join(f"{channel} {state}" for channel, state in sent.items()))
    return "\n".join(lines)
