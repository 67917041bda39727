"""Preflight checks of a training run's parameters against the components and the environment's stores.

`preflight.py` checks the config against the data source; this module checks the run's final
parameters (the config's values after any `--set` override): overrides of config keys (source,
target, key columns, split, CSV options, features, model, champion, ...) as the file's values
were, the hyperparameters against the names train accepts (through `train.api`, which imports no
estimator library), and the feature view against what the feature store already holds under that
name. Each fails before any step runs, so a run that would fail in train or features never writes
a split.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from mlops.feature_store import FeatureStoreError, existing_view_schema
from mlops.features import FeatureError, load_spec
from mlops.pipeline_config import PipelineConfig
from mlops.pipeline_definition import PreflightError
from mlops.problems import problems
from train.api import HyperparameterError, check_hyperparameters
from training.preflight import check_source

# Run parameters that are one config key each, and that key. The others are derived from several
# keys (feature_spec, feature_transforms, feature_view: checked by check_feature_view), come from
# the environment (store URIs) or are not the user's (model_labels gets the run id, git_commit).
CONFIG_PARAMETERS = {
    "source_uri": ("data", "source"),
    "target": ("data", "target"),
    "problem_type": ("data", "problem_type"),
    "entity_column": ("data", "entity_column"),
    "timestamp_column": ("data", "timestamp_column"),
    "split_method": ("data", "split", "method"),
    "train_fraction": ("data", "split", "train"),
    "valid_fraction": ("data", "split", "valid"),
    "test_fraction": ("data", "split", "test"),
    "split_seed": ("data", "split", "seed"),
    "csv_options": ("data", "csv"),
    "drop_columns": ("data", "drop_columns"),
    "schema_uri": ("validation", "schema_file"),
    "max_violation_rate": ("validation", "max_violation_rate"),
    "numeric_features": ("features", "numeric"),
    "categorical_features": ("features", "categorical"),
    "model_type": ("model", "type"),
    "hyperparameters": ("model", "params"),
    "model_seed": ("model", "seed"),
    "champion_metric": ("champion", "metric"),
    "champion_margin": ("champion", "margin"),
    "model_name": ("registry", "model_name"),
    "webhook_secret": ("notify_webhook",),
}
# Those whose change means reading the source again (preflight.check_source).
_READS_SOURCE = ("data", "features")


def check_parameters(config: PipelineConfig, parameters: Mapping[str, Any]) -> None:
    """The training pipeline's parameter preflight (mlops.pipeline_definition): every check below."""
    check_data_overrides(config, parameters)
    check_model(config, parameters)
    check_feature_view(config, parameters)


def check_data_overrides(config: PipelineConfig, parameters: Mapping[str, Any]) -> None:
    """When `--set` changed a parameter that is a config key, check the changed config as the file's
    was: validated like the file (a time split still needs a timestamp column, split fractions add
    up to 1), then, if it changed what data is read or how, against the source. The error starts
    with the overrides, `--set NAME=VALUE`."""
    document = config.model_dump(mode="json", by_alias=True)
    changed = []
    for parameter, path in CONFIG_PARAMETERS.items():
        node = document
        for key in path[:-1]:
            node = node[key]
        if parameter in parameters and parameters[parameter] != node[path[-1]]:
            node[path[-1]] = parameters[parameter]
            changed.append(parameter)
    if not changed:
        return  # the config's own values: preflight.check_source checked them already
    given = "--set " + ", ".join(f"{name}={_shown(parameters[name])}" for name in changed)
    try:
        overridden = PipelineConfig.model_validate(document)
    except ValidationError as error:
        raise PreflightError(f"{given}: {config.name}: {'; '.join(problems(error))}") from None
    if any(CONFIG_PARAMETERS[name][0] in _READS_SOURCE for name in changed):
        try:
            check_source(overridden)
        except PreflightError as error:
            raise PreflightError(f"{given}: {error}") from None


def _shown(value: Any) -> str:
    """A parameter's value as it is typed after `--set NAME=`: strings as they are, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def check_model(config: PipelineConfig, parameters: Mapping[str, Any]) -> None:
    """Raise PreflightError if train would refuse the hyperparameters (unknown name, non-integer count)."""
    try:
        check_hyperparameters(parameters["model_type"], parameters["problem_type"], parameters["hyperparameters"])
    except HyperparameterError as error:
        raise PreflightError(f"{config.name}: model.params (hyperparameters): {error}") from None


def check_feature_view(config: PipelineConfig, parameters: Mapping[str, Any]) -> None:
    """Raise PreflightError if the feature view already holds other keys or features than this run writes.

    A view's columns are fixed by its first write; the features step refuses a write with other
    columns, but only after ingest and validate ran. Another problem writing to the same view (two
    problems once shared the default `features`) is the usual cause. Column types are compared by
    the features step only: they are known once the features are computed. Only a local store is
    read here; reading a Vertex AI view's schema needs credentials and a BigQuery call.
    """
    uri, view = parameters["feature_store_uri"], parameters["feature_view"]
    if "://" in uri:
        return
    try:
        existing = existing_view_schema(uri, view)
        spec = load_spec(parameters["feature_spec"], source="feature_spec")
    except (FeatureStoreError, FeatureError) as error:
        raise PreflightError(f"{config.name}: {error}") from None
    if existing is None:
        return
    has = (existing.entity_column, existing.timestamp_column, sorted(existing.features))
    wants = (spec.entity_column, spec.timestamp_column, sorted(spec.feature_names))
    if has != wants:
        raise PreflightError(
            f"{config.name}: features.view_name: feature view {view!r} in {uri} holds features {has[2]} keyed by "
            f"{has[0]!r}, {has[1]!r}, but this config writes {wants[2]} keyed by {wants[0]!r}, {wants[1]!r}; "
            f"set features.view_name in the pipeline config to a view of its own (e.g. {_suggest(view)!r}), "
            "or remove the old view if nothing needs it"
        )


def _suggest(view: str) -> str:
    """A new view name next to `view`: `churn` -> `churn_v2`, `churn_v2` -> `churn_v3`."""
    stem, _, number = view.rpartition("_v")
    return f"{stem}_v{int(number) + 1}" if stem and number.isdigit() else f"{view[:56]}_v2"
