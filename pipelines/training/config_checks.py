"""Preflight checks of a training run's parameters against the components and the environment's stores.

`preflight.py` checks the config against the data source; this module checks the run's final
parameters (the config's values after any `--set` override): the hyperparameters against the
names train accepts (through `train.api`, which imports no estimator library). Each fails before
any step runs, so a run that would fail in train never writes a split.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlops.pipeline_config import PipelineConfig
from mlops.pipeline_definition import PreflightError
from train.api import HyperparameterError, check_hyperparameters


def check_parameters(config: PipelineConfig, parameters: Mapping[str, Any]) -> None:
    """The training pipeline's parameter preflight (mlops.pipeline_definition): every check below."""
    check_model(config, parameters)


def check_model(config: PipelineConfig, parameters: Mapping[str, Any]) -> None:
    """Raise PreflightError if train would refuse the hyperparameters (unknown name, non-integer count)."""
    try:
        check_hyperparameters(parameters["model_type"], parameters["problem_type"], parameters["hyperparameters"])
    except HyperparameterError as error:
        raise PreflightError(f"{config.name}: model.params (hyperparameters): {error}") from None
