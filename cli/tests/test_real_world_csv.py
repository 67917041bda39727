"""A CSV export as it comes (`;` delimiter, `n/a` markers, a short row), by config alone.

Without CSV options the run is refused before anything runs, naming the line or the column and
its values; with them (`data.csv`) the same file trains and registers a model.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mlops.pipeline_definition import PreflightError
from mlops.registry import open_registry
from mlops_cli.commands import run_pipeline
from run_fixtures import local_settings, small  # pants: no-infer-dep
from training.pipeline import DEFINITION

COLUMNS = (
    "entity_id;event_timestamp;tenure_months;monthly_charges;support_calls;contract_type;payment_method;region;churned"
)


def write_export(folder: Path, rows: int = 600, short_row_at: int = 0, missing_charges: tuple[int, ...] = ()) -> str:
    """The churn columns, `;`-separated; `missing_charges` rows say `n/a`; `short_row_at` is cut short."""
    rng = random.Random(3)
    lines = [COLUMNS]
    for i in range(1, rows + 1):
        tenure, calls = rng.randint(1, 72), rng.randint(0, 8)
        contract = rng.choice(["monthly", "annual", "two_year"])
        churned = int(calls > 4 or (contract == "monthly" and tenure < 12) or rng.random() < 0.05)
        charges = "n/a" if i in missing_charges else f"{rng.uniform(20, 120):.2f}"
        day = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} 10:00:00"
        payment, region = rng.choice(["card", "bank", "cash"]), rng.choice(["north", "south"])
        lines.append(f"c{i:05d};{day};{tenure};{charges};{calls};{contract};{payment};{region};{churned}")
        if i == short_row_at:
            lines.append(f"c{i:05d}x;{day};{tenure}")
    path = folder / "churn-export.csv"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def assert_nothing_written(root: Path) -> None:
    assert not (root / "pipeline-root").exists() and not (root / "data" / "registry").exists()


def test_a_short_row_is_refused_naming_its_line(tmp_path: Path) -> None:
    source = write_export(tmp_path, short_row_at=10)  # after data row 10, so line 12
    config = small("churn.yaml", data__source=source)
    with pytest.raises(PreflightError, match=rf"^{source}: line 12: expected 9 columns, found 3: 'c00010x;"):
        run_pipeline(DEFINITION, config, local_settings(tmp_path), runner="local")
    assert_nothing_written(tmp_path)


def test_na_markers_are_reported_with_their_rows_and_a_hint(tmp_path: Path) -> None:
    source = write_export(tmp_path, missing_charges=(4, 9, 30, 31))
    config = small("churn.yaml", data__source=source)
    expected = (
        r"numeric feature 'monthly_charges' reads column 'monthly_charges' of type VARCHAR "
        r"\(4 value\(s\) are not numbers, e\.g\. row 4: 'n/a', row 9: 'n/a', row 30: 'n/a'; "
        r"if they mean 'missing', list them in data\.csv\.null_values\)"
    )
    with pytest.raises(PreflightError, match=expected):
        run_pipeline(DEFINITION, config, local_settings(tmp_path), runner="local")
    assert_nothing_written(tmp_path)


def test_with_csv_options_the_same_file_trains_and_registers(tmp_path: Path) -> None:
    source = write_export(tmp_path, short_row_at=10, missing_charges=(4, 9, 30, 31))
    csv = {"delimiter": ";", "null_values": ["n/a"], "bad_rows": "skip"}
    config = small("churn.yaml", data__source=source, data__csv=csv)
    settings = local_settings(tmp_path)
    record = run_pipeline(DEFINITION, config, settings, runner="local")
    assert record.status == "SUCCEEDED", record.error
    ingest = record.task("ingest")
    assert ingest is not None and ingest.outputs["train_data"]["metadata"]["skipped_rows"] == 1
    assert sum(ingest.outputs[f"{split}_data"]["metadata"]["rows"] for split in ("train", "valid", "test")) == 600
    version = open_registry(settings.resolved_registry_uri()).get("churn-classifier")
    assert version is not None and version.version == "1"
