"""A table whose labels train cannot use fails in validate, before features reach the feature store."""

from __future__ import annotations

from pathlib import Path

from mlops_cli.commands import run_pipeline
from run_fixtures import local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION


def _churn_csv(path: Path, rows: int, null_label_every: int) -> Path:
    """A churn table with every `null_label_every`-th label empty (5%: 20)."""
    lines = ["entity_id,event_timestamp,tenure_months,monthly_charges,support_calls,contract_type,payment_method,"
             "region,churned"]  # fmt: skip
    contracts, payments, regions = ("monthly", "annual"), ("card", "bank", "cash"), ("north", "south")
    for i in range(rows):
        label = "" if i % null_label_every == 0 else str(int(i % 3 == 0))
        lines.append(
            f"c{i},2026-01-{1 + i % 28:02d} 10:00:00,{1 + i % 60},{20 + (i * 7) % 80}.5,{i % 5},"
            f"{contracts[i % 2]},{payments[i % 3]},{regions[i % 2]},{label}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_null_labels_fail_in_validate_and_nothing_reaches_the_feature_store(tmp_path: Path) -> None:
    settings = local_settings(tmp_path)
    source = _churn_csv(tmp_path / "churn.csv", rows=400, null_label_every=20)
    config = small("churn.yaml")
    config = config.model_copy(update={"data": config.data.model_copy(update={"source": str(source)})})

    record = run_pipeline(DEFINITION, config, settings, runner="local")

    assert record.status == "FAILED" and record.error == "failed step(s): validate"
    statuses = {task.name: task.status for task in record.tasks}
    assert statuses["validate"] == "FAILED" and "features" not in statuses and "train" not in statuses
    log = Path(record.links["log"]).read_text()
    assert "column 'churned': target" in log and "null values" in log and "every row needs a label" in log
    store = Path(settings.resolved_feature_store_uri())
    assert not store.exists() or not any(path.is_file() for path in store.rglob("*"))
