"""`mlops batch-predict`: the batch prediction pipeline run from the command line on kfp.local."""

from pathlib import Path

import pandas as pd
import pytest
import yaml

from mlops.model_bundle import load_bundle, predict, save_bundle
from mlops.registry import open_registry
from mlops.testing.bundles import fit_bundle, write_splits
from mlops_cli.main import main
from run_fixtures import PIPELINES, local_settings  # pants: no-infer-dep


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An environment file, a registered churn model in its registry, and rows to predict."""
    root = tmp_path_factory.mktemp("batch")
    settings = local_settings(root)
    (root / "env.yaml").write_text(yaml.safe_dump(settings.model_dump(mode="json", exclude_none=True, by_alias=True)))
    splits = write_splits(root, "churn", {"train": (500, 1), "rows": (400, 2)})
    save_bundle(fit_bundle("churn", splits["train"], "linear"), str(root / "bundle"))
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
