"""A config that a later step would refuse is refused by `mlops run` before any step writes anything.

Each case would once have failed minutes into a run (in train, or in features on a view another
problem wrote), after ingest had written splits; now preflight names the key and the value, with
one line and no traceback.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from mlops.feature_store.local import LocalFeatureStore
from mlops.features import load_spec
from mlops_cli.main import main
from run_fixtures import PIPELINES  # pants: no-infer-dep


def _written(root: Path) -> list[Path]:
    """Everything a run wrote under the stores and the pipeline root (run logs excluded)."""
    return [path for folder in ("data", "pipeline-root") for path in (root / folder).rglob("*") if path.is_file()]


def _environment(root: Path) -> Path:
    env = root / "local.yaml"
    env.write_text(
        "environment: local\n"
        f"storage_root: {root / 'data'}\n"
        f"metadata_dir: {root / 'metadata'}\n"
        f"gcp: {{project_id: local-project, pipeline_root: {root / 'pipeline-root'}}}\n"
    )
    return env


def test_an_unknown_hyperparameter_fails_before_any_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "churn.yaml"
    text = (PIPELINES / "churn.yaml").read_text()
    config.write_text(text.replace("num_leaves: 31}", "num_leaves: 31, n_trees: 100}"))
    assert main(["--env", str(_environment(tmp_path)), "run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "model.params (hyperparameters): unknown lightgbm hyperparameter(s) ['n_trees']" in err
    assert "Traceback" not in err
    assert _written(tmp_path) == []


def test_an_unknown_hyperparameter_given_with_set_is_refused_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = str(_environment(tmp_path))
    argv = ["--env", env, "run", "--config", str(PIPELINES / "churn.yaml"), "--set", 'hyperparameters={"leaves": 3}']
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "unknown lightgbm hyperparameter(s) ['leaves']" in err and "Traceback" not in err
    assert _written(tmp_path) == []


def test_a_feature_view_another_problem_wrote_fails_before_any_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another problem's features are in the view "churn", which a churn config without
    # features.view_name now defaults to.
    store = tmp_path / "data" / "feature-store"
    rows = pa.table({
        "entity_id": [1, 2],
        "event_timestamp": pa.array([datetime(2026, 1, 1)] * 2, pa.timestamp("us")),
        "outdoor_temp_c": [1.5, 2.5],
    })  # fmt: skip
    spec = {"entity_column": "entity_id", "timestamp_column": "event_timestamp",
            "transforms": [{"op": "passthrough", "name": "outdoor_temp_c", "column": "outdoor_temp_c"}]}  # fmt: skip
    LocalFeatureStore(store).write("churn", rows, load_spec(spec))
    before = sorted(_written(tmp_path))
    config = tmp_path / "churn.yaml"
    config.write_text((PIPELINES / "churn.yaml").read_text().replace("  view_name: churn_features\n", ""))

    assert main(["--env", str(_environment(tmp_path)), "run", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"features.view_name: feature view 'churn' in {store} holds features ['outdoor_temp_c']" in err
    assert "(e.g. 'churn_v2')" in err and "Traceback" not in err and err.count("\n") == 1
    assert sorted(_written(tmp_path)) == before


@pytest.mark.parametrize(
    ("override", "message"),
    [
        # The quotes a shell user added reached ingest once, and failed there after 91 s of retries.
        (
            'source_uri="sample://churn?rows=5"',
            '--set source_uri="sample://churn?rows=5": the value keeps its quotes; pass it without them: '
            "--set source_uri=sample://churn?rows=5",
        ),
        ("target='churned'", "--set target='churned': the value keeps its quotes"),
        ("source_uri=/no/such.csv", "--set source_uri=/no/such.csv: /no/such.csv: source file not found"),
        ("target=no_such", "--set target=no_such: sample://churn?rows=500&seed=7: data.target 'no_such' is not"),
        ("split_method=time", "--set split_method=time: churn: data: split.method 'time' orders rows"),
        ("train_fraction=0.9", "--set train_fraction=0.9: churn: data.split: train + valid + test must be 1, got 1.1"),
        (
            'numeric_features=["tenure_months", "age"]',
            '--set numeric_features=["tenure_months", "age"]: churn: (top level): features [\'age\'] are not produced',
        ),
    ],
)
def test_overrides_are_checked_before_any_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    config = tmp_path / "churn.yaml"
    text = (PIPELINES / "churn.yaml").read_text().replace("  timestamp_column: event_timestamp\n", "")
    config.write_text(text.replace("rows=50000", "rows=500"))
    argv = ["--env", str(_environment(tmp_path)), "run", "--config", str(config), "--set", override]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1, err
    assert _written(tmp_path) == [] and not (tmp_path / "metadata" / "logs").exists()  # no step ran
