"""KFP v2 wrapper of notify, used as every pipeline's exit handler."""

from kfp import dsl

LOCAL_IMAGE = "vertex-mlops/notify:latest"


def notify(pipeline_name: str, status: dsl.PipelineTaskFinalStatus, webhook_secret: str = "") -> str:
    """Log how the run ended and optionally POST it to a webhook (mlops.alerts).

    Args:
        pipeline_name: the pipeline's name, for the message.
        status: filled in by KFP with the run's final state and error.
        webhook_secret: where the webhook URL is read at run time: env:NAME or
            secretmanager:projects/P/secrets/S (the URL is a secret, never a parameter); "" for none.

    Returns:
        The run's final state (SUCCEEDED, FAILED, ...).
    """
    from mlops.logs import configure_step_logging
    from notify.core import outcome_from_status, send

    configure_step_logging("notify")
    outcome = outcome_from_status(
        pipeline_name,
        {
            "state": status.state,
            "pipeline_job_resource_name": status.pipeline_job_resource_name,
            "error_message": status.error_message,
        },
    )
    send(outcome, webhook_secret)
    return outcome.state


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(notify, base_image=image, install_kfp_package=False)
