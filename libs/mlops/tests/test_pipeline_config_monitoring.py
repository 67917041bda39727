"""The `monitoring:` section of a pipeline config: optional, validated when the file loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops.config import ConfigError
from mlops.pipeline_config import load_pipeline_config

PIPELINES = Path(__file__).resolve().parents[3] / "config" / "pipelines"


def variant(tmp_path: Path, name: str, **sections: Any) -> Path:
    data = yaml.safe_load((PIPELINES / f"{name}.yaml").read_text())
    data.update(sections)
    path = tmp_path / f"{name}-variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_defaults_apply_when_the_section_is_absent() -> None:
    config = load_pipeline_config(PIPELINES / "churn.yaml")
    assert "monitoring" not in yaml.safe_load((PIPELINES / "churn.yaml").read_text())
    assert (config.monitoring.numeric_bins, config.monitoring.top_categories) == (10, 50)
    assert config.monitoring.default_threshold == 0.3 and config.monitoring.thresholds == {}


def test_the_monitored_columns_are_the_raw_inputs_serving_logs() -> None:
    # churn's ratio feature is not in a request: its two inputs are (and are features themselves).
    churn = load_pipeline_config(PIPELINES / "churn.yaml")
    assert churn.monitored_features() == (
        ["tenure_months", "monthly_charges", "support_calls"],
        ["contract_type", "payment_method", "region"],
    )
    # energy: log1p reads floor_area_m2; month reads a timestamp, which is not monitored.
    energy = load_pipeline_config(PIPELINES / "energy.yaml")
    assert energy.monitored_features() == (
        ["floor_area_m2", "outdoor_temp_c", "occupancy_rate"],
        ["building_type", "insulation"],
    )


def test_a_valid_section_is_read(tmp_path: Path) -> None:
    section = {"thresholds": {"region": 0, "tenure_months": 0.1}, "windows": ["6h", "1d"], "numeric_bins": 20}
    config = load_pipeline_config(variant(tmp_path, "churn", monitoring=section))
    assert config.monitoring.threshold_for("region") == 0  # a 0 threshold is kept, not dropped
    assert config.monitoring.threshold_for("support_calls") == 0.3
    assert config.monitoring.numeric_bins == 20 and config.monitoring.windows == ["6h", "1d"]


@pytest.mark.parametrize(
    ("name", "section", "message"),
    [
        ("churn", {"treshold": 0.2}, r"monitoring\.treshold: unknown key"),
        ("churn", {"numeric_bins": 1}, r"monitoring\.numeric_bins: Input should be greater than or equal to 2"),
        ("churn", {"windows": ["1 day"]}, r"window '1 day' is not a count and a unit"),
        ("churn", {"thresholds": {"region": -1}}, r"monitoring\.thresholds\.region: Input should be greater"),
        ("churn", {"thresholds": {"regoin": 0.1}}, r"monitoring\.thresholds names feature\(s\) \['regoin'\]"),
        # A derived feature is not in the request log: its inputs are monitored instead.
        ("churn", {"thresholds": {"charges_per_tenure_month": 0.1}}, r"\['charges_per_tenure_month'\] that this model"),
        ("energy", {"thresholds": {"event_timestamp": 0.1}}, r"\['event_timestamp'\] that this model"),
    ],
)
def test_a_bad_section_fails_at_load_naming_the_key(tmp_path: Path, name: str, section: dict, message: str) -> None:
    path = variant(tmp_path, name, monitoring=section)
    with pytest.raises(ConfigError, match=message) as raised:
        load_pipeline_config(path)
    assert str(path) in str(raised.value)


def test_the_unknown_threshold_error_lists_the_monitored_columns(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_pipeline_config(variant(tmp_path, "energy", monitoring={"thresholds": {"log_floor_area": 0.2}}))
    assert "['building_type', 'floor_area_m2', 'insulation', 'occupancy_rate', 'outdoor_temp_c']" in str(raised.value)
