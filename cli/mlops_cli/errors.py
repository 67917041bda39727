"""The CLI's expected errors: bad input or a missing prerequisite, reported without a traceback.

In their own module so that `main` (which reports them) and `commands` (which raises them) do not
import each other.
"""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line input; the message says what to change."""


def expected_errors() -> tuple[type[Exception], ...]:
    """Errors that describe bad input or a missing prerequisite: reported without a traceback.

    Imported when called: the modules that define them are slow to import (MLflow, Vertex AI SDK).
    """
    from mlops.config import ConfigError
    from mlops.endpoints import EndpointError
    from mlops.images import ImagesError
    from mlops.metadata import MetadataError
    from mlops.model_bundle import BundleError
    from mlops.monitoring.buckets import MonitoringError
    from mlops.monitoring.config import MonitoringConfigError
    from mlops.pipeline_definition import PreflightError
    from mlops.registry import RegistryError
    from mlops.storage import StorageError
    from mlops_cli.cloud_errors import cloud_error_types
    from mlops_cli.sdk_internals import SdkVersionError
    from mlops_cli.vertex_runner import VertexRunError

    return (
        *cloud_error_types(),
        ConfigError,
        EndpointError,
        ImagesError,
        StorageError,
        UsageError,
        MetadataError,
        BundleError,
        MonitoringError,
        MonitoringConfigError,
        RegistryError,
        VertexRunError,
        PreflightError,
        SdkVersionError,
    )


def describe(error: Exception) -> str:
    """The one line to print for an expected error: Google Cloud errors are translated."""
    from mlops_cli.cloud_errors import cloud_error_types, describe_cloud_error

    return describe_cloud_error(error) if isinstance(error, cloud_error_types()) else str(error)
