"""Train's public API for code outside the component (a pipeline's preflight, for one).

Light on purpose: importing it imports no scikit-learn or LightGBM, so checking a config's
hyperparameters costs a CLI start nothing. Everything else in the package is train's own business.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from train.hyperparameters import HyperparameterError, normalize_hyperparameters, valid_hyperparameters

__all__ = ["HyperparameterError", "check_hyperparameters", "valid_hyperparameters"]


def check_hyperparameters(model_type: str, problem_type: str, hyperparameters: Mapping[str, Any]) -> None:
    """Raise HyperparameterError if train would reject these hyperparameters (unknown name, non-integer count).

    The message names the unknown names and lists the valid ones, as train's own error does.
    """
    normalize_hyperparameters(model_type, problem_type, hyperparameters)
