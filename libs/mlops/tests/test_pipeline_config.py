from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlops.config import ConfigError
from mlops.pipeline_config import load_pipeline_config

PIPELINES = Path(__file__).resolve().parents[3] / "config" / "pipelines"


def write_variant(tmp_path: Path, change: dict) -> Path:
    data = yaml.safe_load((PIPELINES / "churn.yaml").read_text())
    for dotted, value in change.items():
        *parents, leaf = dotted.split(".")
        node = data
        for part in parents:
            node = node[part]
        if value is None:
            del node[leaf]
        else:
            node[leaf] = value
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_configs_are_valid_and_differently_shaped() -> None:
    churn = load_pipeline_config(PIPELINES / "churn.yaml")
    energy = load_pipeline_config(PIPELINES / "energy.yaml")
    assert (churn.data.problem_type, energy.data.problem_type) == ("classification", "regression")
    assert churn.data.target != energy.data.target
    assert set(churn.features.numeric).isdisjoint(energy.features.numeric)
    assert churn.resources_for("train").cpu == "4" and churn.resources_for("validate").cpu == "1"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model.type": "xgboost_deluxe"}, r"model\.type: Input should be 'lightgbm', 'random_forest' or 'linear'"),
        ({"champion.metric": "rmse"}, "champion.metric 'rmse' does not apply to classification"),
        ({"data.target": None}, r"data\.target: Field required"),
        ({"data.split": {"train": 0.8, "valid": 0.3, "test": 0.1}}, "train \\+ valid \\+ test must be 1"),
        ({"data.problem_type": "ranking"}, r"data\.problem_type: Input should be 'classification' or 'regression'"),
        ({"features.numerc": ["a"]}, r"features\.numerc: unknown key"),
        ({"features.numeric": ["churned"]}, "target 'churned' is also listed as a feature"),
        (
            {"data.timestamp_column": None, "data.split": {"method": "time"}},
            r"split\.method 'time' orders rows by data\.timestamp_column, which is empty; name the column",
        ),
        ({"data.entity_column": "mlops_row_key"}, "entity_column 'mlops_row_key' is a column ingest derives itself"),
        ({"data.drop_columns": ["churned"]}, r"drop_columns lists 'churned', which is data\.target"),
        (
            {"data.drop_columns": ["monthly_charges"]},
            r"features\.transforms 'monthly_charges' reads \['monthly_charges'\], which data\.drop_columns drops",
        ),
        (
            {"notify_webhook": "https://hooks.slack.com/services/T/B/X"},
            r"notify_webhook: .*a URL \(a webhook URL is a secret.*\) is not a secret reference; use env:NAME",
        ),
    ],
)
def test_broken_configs_name_file_key_and_problem(tmp_path: Path, change: dict, message: str) -> None:
    path = write_variant(tmp_path, change)
    with pytest.raises(ConfigError, match=message) as error:
        load_pipeline_config(path)
    assert str(error.value).startswith(str(path))


def test_a_webhook_url_in_the_config_is_refused_without_repeating_it(tmp_path: Path) -> None:
    path = write_variant(tmp_path, {"notify_webhook": "https://hooks.slack.com/services/T/B/X"})
    with pytest.raises(ConfigError, match="notify_webhook: a URL") as error:
        load_pipeline_config(path)
    assert "hooks.slack.com" not in str(error.value)


def test_transforms_are_validated_with_the_config(tmp_path: Path) -> None:
    bad_op = write_variant(tmp_path, {"features.transforms": [{"op": "sqrt", "name": "x", "column": "y"}]})
    with pytest.raises(ConfigError, match="features.transforms") as error:
        load_pipeline_config(bad_op)
    assert "sqrt" in str(error.value)


def test_listed_features_must_come_from_a_transform(tmp_path: Path) -> None:
    path = write_variant(tmp_path, {"features.numeric": ["tenure_months", "not_a_feature"]})
    with pytest.raises(ConfigError, match=r"features \['not_a_feature'\] are not produced by any transform"):
        load_pipeline_config(path)


def test_the_feature_view_defaults_to_the_problem_name(tmp_path: Path) -> None:
    # Two problems in one project must not share a view by default (its columns are fixed by its first write).
    path = write_variant(tmp_path, {"features.view_name": None, "name": "churn-eu"})
    assert load_pipeline_config(path).feature_view() == "churn_eu"
    path = write_variant(tmp_path, {"features.view_name": "shared_view"})
    assert load_pipeline_config(path).feature_view() == "shared_view"


def test_a_table_without_id_or_timestamp_uses_the_keys_ingest_derives(tmp_path: Path) -> None:
    config = load_pipeline_config(write_variant(tmp_path, {"data.entity_column": None, "data.timestamp_column": None}))
    assert (config.data.entity_column, config.data.timestamp_column) == ("", "")
    spec = config.feature_spec()
    assert (spec.entity_column, spec.timestamp_column) == ("mlops_row_key", "mlops_snapshot_time")
    keyed = load_pipeline_config(PIPELINES / "churn.yaml").feature_spec()
    assert (keyed.entity_column, keyed.timestamp_column) == ("entity_id", "event_timestamp")
