"""The preflight on hand-written CSV tables: text where a number is needed is reported with the
values at fault and their rows, and `data.csv.null_values` turns missing-value markers into nulls."""

from pathlib import Path

import pytest

from mlops.pipeline_config import PipelineConfig, load_pipeline_config
from mlops.pipeline_definition import PreflightError
from training.preflight import check_source

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config" / "pipelines"
HEADER = "entity_id,event_timestamp,floor_area_m2,outdoor_temp_c,occupancy_rate,building_type,insulation,energy_kwh\n"


def energy_table(folder: Path, floor_area: dict[int, str], energy: dict[int, str], rows: int = 40) -> str:
    """The energy columns; `floor_area` and `energy` replace the values of the rows (from 1) they name."""
    lines = [
        f"b{i},2026-01-{1 + i % 28:02d} 00:00:00,{floor_area.get(i, str(100 + i))},{i % 30 - 5},0.{i % 9},"
        f"office,good,{energy.get(i, str(20.5 + i))}\n"
        for i in range(1, rows + 1)
    ]
    path = folder / "energy.csv"
    path.write_text(HEADER + "".join(lines))
    return str(path)


def config_for(source: str, **csv: object) -> PipelineConfig:
    config = load_pipeline_config(CONFIG_DIR / "energy.yaml")
    data = config.data.model_copy(update={"source": source, "csv": config.data.csv.model_copy(update=csv)})
    return config.model_copy(update={"data": data})


def test_text_in_a_transformed_column_and_in_the_target_is_shown_with_its_rows(tmp_path: Path) -> None:
    source = energy_table(tmp_path, floor_area={3: "unknown", 7: "1.2e3m2"}, energy={5: "n/a", 9: "-", 12: "n/a"})
    with pytest.raises(PreflightError) as refused:
        check_source(config_for(source))
    message = str(refused.value)
    assert (
        "column 'floor_area_m2' is VARCHAR, but transform log1p needs a number "
        "(2 value(s) are not numbers, e.g. row 3: 'unknown', row 7: '1.2e3m2'; " in message
    )
    assert "regression target 'energy_kwh' is VARCHAR, not a number (3 value(s) are not numbers, e.g. " in message
    assert "row 5: 'n/a', row 9: '-', row 12: 'n/a'" in message


def test_null_values_make_the_markers_missing_values(tmp_path: Path) -> None:
    source = energy_table(tmp_path, floor_area={}, energy={5: "n/a", 9: "-", 12: "n/a"})
    columns = check_source(config_for(source, null_values=["n/a", "-"]))
    assert columns["energy_kwh"] == "DOUBLE" and columns["floor_area_m2"] in ("BIGINT", "INTEGER")


def test_a_column_named_like_a_derived_key_must_be_named_in_the_config(tmp_path: Path) -> None:
    source = energy_table(tmp_path, {}, {})
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(Path(source).read_text().replace("entity_id,", "mlops_row_key,", 1))
    config = config_for(str(renamed))
    keyless = config.model_copy(update={"data": config.data.model_copy(update={"entity_column": ""})})
    message = "column 'mlops_row_key' is the one ingest derives when data.entity_column is empty"
    with pytest.raises(PreflightError, match=message):
        check_source(keyless)


def test_dropped_columns_are_gone_for_the_checks_too(tmp_path: Path) -> None:
    config = config_for(energy_table(tmp_path, {}, {}))
    dropping = config.model_copy(update={"data": config.data.model_copy(update={"drop_columns": ["insulation"]})})
    # (The config itself refuses this; the check here is that preflight reads the table as ingest will.)
    message = "features.transforms 'insulation' reads column 'insulation', which is missing"
    with pytest.raises(PreflightError, match=message):
        check_source(dropping)
