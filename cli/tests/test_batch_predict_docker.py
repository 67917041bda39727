"""`mlops batch-predict --runner docker` (the run it makes): the step in the image Pants built for this
test (tag `docker`)."""

from pathlib import Path

import pandas as pd
import yaml

from mlops.model_bundle import predict, save_bundle
from mlops.registry import open_registry
from mlops.testing.bundles import fit_bundle, write_splits
from mlops_cli.commands import run_pipeline
from mlops_cli.pipelines import load_pipeline
from run_fixtures import PIPELINES, local_settings  # pants: no-infer-dep


def test_the_step_runs_in_its_image_and_writes_the_predictions(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    splits = write_splits(tmp_path, "churn", {"train": (500, 1), "rows": (1000, 2)})
    bundle = fit_bundle("churn", splits["train"], "lightgbm")
    save_bundle(bundle, str(tmp_path / "bundle"))
    open_registry(settings.resolved_registry_uri()).register("churn-classifier", str(tmp_path / "bundle"), metrics={})
    config = yaml.safe_load((PIPELINES / "churn-batch.yaml").read_text())
    config["batch"].update(source=splits["rows"], output=str(tmp_path / "out" / "p.parquet"))
    (tmp_path / "batch.yaml").write_text(yaml.safe_dump(config))
    pipeline = load_pipeline(tmp_path / "batch.yaml")
    # The image's docker-info file is where Pants put it in this test's sandbox: the current folder.
    record = run_pipeline(pipeline.definition, pipeline.config, settings, runner="docker", images_dir=Path("."))
    assert record.status == "SUCCEEDED", record.error
    written, rows = pd.read_parquet(tmp_path / "out" / "p.parquet"), pd.read_parquet(splits["rows"])
    assert (written["prediction"].to_numpy() == predict(bundle, rows)).all()
