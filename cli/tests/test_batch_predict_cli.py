"""`mlops batch-predict`: the batch prediction pipeline run from the command line on kfp.local."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from mlops.model_bundle import load_bundle, predict, save_bundle
from mlops.monitoring.baseline import compute_baseline, save_baseline
from mlops.registry import open_registry
from mlops.testing.bundles import fit_bundle, write_splits
from mlops_cli.main import main
from run_fixtures import PIPELINES, local_settings  # pants: no-infer-dep

NUMERIC = ["tenure_months", "monthly_charges", "support_calls"]
CATEGORICAL = ["contract_type", "payment_method", "region"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An environment file, a registered churn model in its registry, and rows to predict."""
    root = tmp_path_factory.mktemp("batch")
    settings = local_settings(root)
    (root / "env.yaml").write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude_none=True, by_alias=True)))
    splits = write_splits(root, "churn", {"train": (500, 1), "rows": (400, 2)})
    save_bundle(fit_bundle("churn", splits["train"], "linear"), str(root / "bundle"))
    # As the train step stores it: the batch output can then be monitored against it.
    save_baseline(compute_baseline(splits["train"], NUMERIC, CATEGORICAL), str(root / "bundle"))
    open_registry(settings.resolved_registry_uri()).register("churn-classifier", str(root / "bundle"), metrics={})
    return root


def batch_config(root: Path, source: str, name: str = "batch.yaml") -> str:
    data = yaml.safe_load((PIPELINES / "churn-batch.yaml").read_text())
    data["batch"].update(source=source, output=str(root / "out" / f"{name}.parquet"))
    (root / name).write_text(yaml.safe_dump(data))
    return str(root / name)


def test_batch_predict_writes_the_default_versions_predictions(project: Path, capsys: pytest.CaptureFixture) -> None:
    config = batch_config(project, str(project / "churn-rows.parquet"))
    assert main(["--env", str(project / "env.yaml"), "batch-predict", "--config", config]) == 0
    output = project / "out" / "batch.yaml.parquet"
    assert f"predictions: {output}" in capsys.readouterr().out
    rows, written = pd.read_parquet(project / "churn-rows.parquet"), pd.read_parquet(output)
    version = open_registry(local_settings(project).resolved_registry_uri()).get("churn-classifier")
    assert version is not None
    assert written["entity_id"].tolist() == rows["entity_id"].tolist()
    assert (written["prediction"] == predict(load_bundle(version.bundle_uri), rows)).all()


def test_a_training_config_is_refused_naming_the_pipeline(project: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["--env", str(project / "env.yaml"), "batch-predict", "--config", str(PIPELINES / "churn.yaml")])
    error = capsys.readouterr().err
    assert code == 2 and "runs the 'training' pipeline; batch-predict needs a config" in error
    assert "Traceback" not in error


def test_a_missing_column_fails_the_run_naming_it_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    pd.read_parquet(project / "churn-rows.parquet").drop(columns=["region"]).to_parquet(project / "no-region.parquet")
    config = batch_config(project, str(project / "no-region.parquet"), "bad.yaml")
    assert main(["--env", str(project / "env.yaml"), "batch-predict", "--config", config]) == 1
    captured = capsys.readouterr()
    assert "missing column(s) region" in captured.out + captured.err
    assert not (project / "out" / "bad.yaml.parquet").exists()


def test_a_batch_output_with_the_inputs_as_key_columns_is_monitored(
    project: Path, capsys: pytest.CaptureFixture
) -> None:
    env = str(project / "env.yaml")
    with_inputs = batch_config(project, str(project / "churn-rows.parquet"), "monitored.yaml")
    data = yaml.safe_load(Path(with_inputs).read_text())
    data["batch"]["key_columns"] = ["entity_id", *NUMERIC, *CATEGORICAL]
    Path(with_inputs).write_text(yaml.safe_dump(data))
    assert main(["--env", env, "batch-predict", "--config", with_inputs]) == 0
    monitor = ["--env", env, "monitor", "--model", "churn-classifier", "--window", "1h", "--request-log"]
    capsys.readouterr()
    assert main([*monitor, str(project / "out" / "monitored.yaml.parquet")]) == 0
    out = capsys.readouterr().out
    # Rows of the training distribution (another seed): every row scored, nothing crossed.
    assert "rows scored: 400 (requests: 400, errors: 0" in out and "skew crossed: none" in out, out

    # The default config copies only entity_id: the inputs are not there to score, and it says so.
    plain = batch_config(project, str(project / "churn-rows.parquet"), "plain.yaml")
    assert main(["--env", env, "batch-predict", "--config", plain]) == 0
    capsys.readouterr()
    assert main([*monitor, str(project / "out" / "plain.yaml.parquet")]) == 2
    error = capsys.readouterr().err
    assert "no column(s) ['tenure_months'" in error and "in the batch config's key_columns" in error, error
