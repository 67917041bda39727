"""Champion/challenger: does the newly trained model beat the one the registry serves?

The champion is the registry's `default` version. It is scored on the same test data the
challenger was evaluated on, with the same metric code (`mlops.metrics`), and the challenger wins
only if `mlops.metrics.is_better` says it beats the champion by more than the margin. With no
champion yet, the challenger wins. A champion whose model file has the challenger's SHA-256 is
the same fitted model: its score on the same test data is the challenger's, so it is not scored
again (a re-run whose training step was a cache hit decides in a fraction of a second). The
decision, both scores and a readable reason are recorded as `mlops.contracts.Decision`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlops import storage
from mlops.contracts import Decision
from mlops.metrics import METRICS_BY_PROBLEM, MetricError, higher_is_better, is_better
from mlops.model_bundle import BundleError, BundleInfo, StoredBundle, read_bundle
from mlops.registry import ModelRegistry, ModelVersion, RegistryError
from mlops.scoring import score
from register.core import RegisterError


def decide(
    challenger_metrics: Mapping[str, float],
    test_path: str,
    registry: ModelRegistry,
    model_name: str,
    metric: str,
    margin: float,
    challenger_info: BundleInfo | None = None,
    challenger_sha256: str | None = None,
) -> Decision:
    """Compare the challenger's test metrics with the registry's default version of `model_name`.

    Args:
        challenger_metrics: the challenger's metrics on `test_path` (evaluate's output).
        test_path: the test split (Parquet) both models are scored on.
        registry: where the champion lives.
        model_name: the registered model's name.
        metric: the metric that decides (`auc`, `rmse`, ...); its direction comes from mlops.metrics.
        margin: how much better (absolute units of the metric) the challenger must be.
        challenger_info: the challenger bundle's description, to refuse comparing models of
            different problem types or targets.
        challenger_sha256: the SHA-256 of the challenger's model file; a champion with the same
            one is the same model and takes the challenger's score without being scored.

    Raises:
        RegisterError naming the metric, file, model or version for bad input, or a champion that
        cannot be loaded or scored on this test data.
    """
    try:
        higher = higher_is_better(metric)
    except MetricError as error:
        raise RegisterError(f"champion metric: {error}") from None
    if not isinstance(margin, int | float) or math.isnan(margin) or margin < 0:
        raise RegisterError(f"champion margin must be a number >= 0, got {margin!r}")
    if metric not in challenger_metrics:
        known = ", ".join(sorted(challenger_metrics)) or "none"
        raise RegisterError(f"the challenger's evaluation has no metric {metric!r} (it has: {known})")
    challenger = float(challenger_metrics[metric])
    try:
        champion = registry.get(model_name)
    except RegistryError as error:
        raise RegisterError(f"cannot read the champion of {model_name!r}: {error}") from None
    decision = Decision(register=False, metric=metric, higher_is_better=higher, margin=margin, challenger=challenger)
    if champion is None:
        decision.register = not math.isnan(challenger)
        decision.reason = (
            f"no champion: {model_name!r} has no default version yet, "
            f"the challenger ({metric} {_num(challenger)}) is the first"
        )
        return decision
    decision.champion_version = champion.version
    try:
        stored = read_bundle(champion.bundle_uri)  # reads gs:// and local registries alike
    except BundleError as error:
        raise RegisterError(f"{_where(champion)}: cannot load the bundle: {error}") from None
    if challenger_sha256 and stored.model_sha256 == challenger_sha256:
        decision.champion = challenger
        decision.register = False
        decision.reason = (
            f"champion v{champion.version} is this same model (model.joblib sha256 {challenger_sha256[:12]}); "
            f"it stays the default"
        )
        return decision
    decision.champion = champion_score(champion, stored, test_path, metric, challenger_info)
    decision.register = is_better(metric, challenger, decision.champion, margin)
    decision.reason = _reason(decision)
    return decision


def _where(champion: ModelVersion) -> str:
    return f"champion v{champion.version} ({champion.bundle_uri})"


def champion_score(
    champion: ModelVersion, stored: StoredBundle, test_path: str, metric: str, challenger: BundleInfo | None
) -> float | None:
    """`metric` of the champion version (its bundle as `stored`) on the Parquet file `test_path`.

    None if the metric is undefined on that data.
    """
    where = _where(champion)
    try:
        bundle = stored.load()
    except BundleError as error:
        raise RegisterError(f"{where}: cannot load the bundle: {error}") from None
    info = bundle.info
    if challenger is not None and (challenger.problem_type, challenger.target) != (info.problem_type, info.target):
        raise RegisterError(
            f"{where} predicts {info.target!r} ({info.problem_type}) but the challenger predicts "
            f"{challenger.target!r} ({challenger.problem_type}): register it under another model name"
        )
    if metric not in METRICS_BY_PROBLEM[info.problem_type]:
        raise RegisterError(f"{where} is a {info.problem_type} model: metric {metric!r} does not apply")
    frame = _read_test(test_path, [*info.features, info.target], where)
    try:
        metrics = score(bundle, frame).metrics
    except (BundleError, ValueError) as error:  # MetricError is a ValueError; so are sklearn's complaints
        raise RegisterError(f"{where}: cannot be scored on {test_path}: {error}") from None
    value = metrics.get(metric)
    return None if value is None or math.isnan(value) else float(value)


def _read_test(path: str, columns: list[str], where: str) -> Any:
    """The test split as a pandas DataFrame (local path or URI), checked for the champion's columns."""
    fs, inner = storage.filesystem(path)
    try:
        table = pq.read_table(inner, filesystem=fs)
    except FileNotFoundError:
        raise RegisterError(f"{path}: no such file (the test split)") from None
    except (OSError, pa.ArrowException) as error:
        raise RegisterError(f"{path}: cannot read the test split as Parquet: {error}") from None
    if missing := [column for column in columns if column not in table.column_names]:
        raise RegisterError(f"{path}: missing column(s) {missing} that {where} needs")
    if table.num_rows == 0:
        raise RegisterError(f"{path}: the test split is empty (0 rows)")
    return table.to_pandas()


def _reason(decision: Decision) -> str:
    metric, margin, challenger, champion = decision.metric, decision.margin, decision.challenger, decision.champion
    them = f"champion v{decision.champion_version}"
    if champion is None:
        return f"{them} has no {metric} on this test data; the challenger ({metric} {_num(challenger)}) replaces it"
    gain = (challenger - champion) if decision.higher_is_better else (champion - challenger)
    if decision.register:
        return (
            f"challenger {metric} {_num(challenger)} beats {them} {metric} {_num(champion)} "
            f"by {_num(gain)} > margin {_num(margin)}"
        )
    return (
        f"challenger {metric} {_num(challenger)} does not beat {them} {metric} {_num(champion)} "
        f"by more than margin {_num(margin)} (gain {_num(gain)}); {them} stays the default"
    )


def _num(value: float) -> str:
    return f"{value:.3f}" if value == 0 or 0.001 <= abs(value) < 1e6 else f"{value:.3g}"
