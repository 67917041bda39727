"""Champion/challenger with two real models of different quality and a real local registry."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from mlops.model_bundle import read_bundle
from mlops.registry import LocalModelRegistry
from register.champion import decide
from register.core import RegisterError
from register.steps import run_champion_challenger
from register_fixtures import Trained  # pants: no-infer-dep

pytest_plugins = ["register_fixtures"]  # fixtures: see register_fixtures.py


def registry_with(tmp_path: Path, champion: Trained, name: str = "churn") -> LocalModelRegistry:
    registry = LocalModelRegistry(tmp_path / "registry")
    registry.register(name, champion.bundle, metrics=champion.evaluation["metrics"])
    return registry


def test_without_a_champion_the_challenger_wins(tmp_path: Path, churn: dict[str, Trained]) -> None:
    good = churn["good"]
    decision = decide(good.evaluation["metrics"], good.test, LocalModelRegistry(tmp_path), "churn", "auc", 0.01)
    assert decision.register and decision.champion is None and decision.champion_version is None
    assert decision.reason.startswith("no champion: 'churn' has no default version yet")
    assert set(decision.to_json()) == {
        "register", "metric", "higher_is_better", "margin", "challenger", "champion", "champion_version", "reason"
    }  # fmt: skip


def test_a_poor_challenger_loses_to_a_good_champion(tmp_path: Path, churn: dict[str, Trained]) -> None:
    good, poor = churn["good"], churn["poor"]
    registry = registry_with(tmp_path, good)
    decision = decide(poor.evaluation["metrics"], poor.test, registry, "churn", "auc", 0.0)
    assert not decision.register and decision.champion_version == "1"
    # The champion is rescored on the same data with the same metric code: the same number as evaluate's.
    assert decision.champion == pytest.approx(good.evaluation["metrics"]["auc"], abs=1e-12)
    assert decision.challenger == pytest.approx(0.5) and (decision.champion or 0) > 0.7
    assert "does not beat champion v1 auc" in decision.reason and "v1 stays the default" in decision.reason


def test_a_good_challenger_beats_a_poor_champion_by_the_margin(tmp_path: Path, churn: dict[str, Trained]) -> None:
    good, poor = churn["good"], churn["poor"]
    registry = registry_with(tmp_path, poor)
    gap = good.evaluation["metrics"]["auc"] - poor.evaluation["metrics"]["auc"]
    wins = decide(good.evaluation["metrics"], good.test, registry, "churn", "auc", round(gap - 0.01, 3))
    assert wins.register and wins.champion == pytest.approx(poor.evaluation["metrics"]["auc"])
    assert wins.reason.startswith(
        f"challenger auc {good.evaluation['metrics']['auc']:.3f} beats champion v1 auc 0.500 by "
    )
    assert f"> margin {gap - 0.01:.3f}" in wins.reason
    loses = decide(good.evaluation["metrics"], good.test, registry, "churn", "auc", round(gap + 0.01, 3))
    assert not loses.register and "by more than margin" in loses.reason


def test_the_same_model_again_is_not_rescored(tmp_path: Path, churn: dict[str, Trained]) -> None:
    good = churn["good"]
    registry = registry_with(tmp_path, good)
    sha256 = read_bundle(good.bundle).model_sha256
    missing_test = str(tmp_path / "no-such-test.parquet")  # scoring would fail on it: it is not read
    decision = decide(good.evaluation["metrics"], missing_test, registry, "churn", "auc", 0.0, None, sha256)
    assert not decision.register and decision.champion_version == "1"
    assert decision.champion == decision.challenger == good.evaluation["metrics"]["auc"]
    assert decision.reason.startswith(f"champion v1 is this same model (model.joblib sha256 {sha256[:12]})")
    other = decide(good.evaluation["metrics"], good.test, registry, "churn", "auc", 0.0, None, "0" * 64)
    assert other.champion == pytest.approx(good.evaluation["metrics"]["auc"], abs=1e-12)  # scored as usual


@pytest.mark.parametrize(("problem", "metric"), [("churn", "log_loss"), ("energy", "rmse"), ("energy", "mae")])
def test_lower_is_better_metrics(
    tmp_path: Path, models: dict[str, dict[str, Trained]], problem: str, metric: str
) -> None:
    good, poor = models[problem]["good"], models[problem]["poor"]
    decision = decide(
        good.evaluation["metrics"], good.test, registry_with(tmp_path, poor, problem), problem, metric, 0.0
    )
    assert decision.register and not decision.higher_is_better
    assert decision.champion == pytest.approx(poor.evaluation["metrics"][metric])
    assert decision.champion is not None and decision.challenger < decision.champion
    reverse = decide(
        poor.evaluation["metrics"], poor.test, registry_with(tmp_path / "r2", good, problem), problem, metric, 0.0
    )
    assert not reverse.register


def test_bad_input_is_refused(tmp_path: Path, models: dict[str, dict[str, Trained]]) -> None:
    churn, energy = models["churn"], models["energy"]
    registry = registry_with(tmp_path, churn["good"])
    metrics = churn["poor"].evaluation["metrics"]
    with pytest.raises(RegisterError, match="unknown metric 'gini'"):
        decide(metrics, churn["poor"].test, registry, "churn", "gini", 0.0)
    with pytest.raises(RegisterError, match="margin must be a number >= 0, got -0.1"):
        decide(metrics, churn["poor"].test, registry, "churn", "auc", -0.1)
    with pytest.raises(RegisterError, match=r"evaluation has no metric 'rmse' \(it has: accuracy, auc, f1"):
        decide(metrics, churn["poor"].test, registry, "churn", "rmse", 0.0)
    with pytest.raises(RegisterError, match="is a classification model: metric 'rmse' does not apply"):
        decide({"rmse": 1.0}, churn["poor"].test, registry, "churn", "rmse", 0.0)
    with pytest.raises(
        RegisterError, match="predicts 'churned' .classification. but the challenger predicts 'energy_kwh'"
    ):
        run_champion_challenger(
            energy["good"].bundle, energy["good"].test, energy["good"].evaluation_path, str(tmp_path / "registry"),
            "churn", "rmse", 0.0,
        )  # fmt: skip
    narrow = tmp_path / "narrow.parquet"
    pq.write_table(pq.read_table(churn["poor"].test).drop_columns(["region"]), narrow)
    with pytest.raises(RegisterError, match=r"narrow.parquet: missing column\(s\) \['region'\] that champion v1"):
        decide(metrics, str(narrow), registry, "churn", "auc", 0.0)
    with pytest.raises(RegisterError, match="nothing.parquet: no such file"):
        decide(metrics, str(tmp_path / "nothing.parquet"), registry, "churn", "auc", 0.0)


def test_a_champion_that_no_longer_loads_is_an_error(tmp_path: Path, churn: dict[str, Trained]) -> None:
    registry = registry_with(tmp_path, churn["good"])
    champion = registry.get("churn")
    assert champion is not None
    Path(champion.bundle_uri, "model.joblib").write_bytes(b"corrupted")
    with pytest.raises(RegisterError, match="champion v1 .*cannot load the bundle.*checksum"):
        decide(churn["poor"].evaluation["metrics"], churn["poor"].test, registry, "churn", "auc", 0.0)
