"""Google Cloud errors (google.api_core, google.auth) in one line: what failed, on what, what to check.

The SDKs raise them with a message meant for their own developers, and `mlops --env dev` used to
print them as tracebacks. Missing credentials, a wrong project, a missing permission or an unknown
run id are the user's setup, not a bug, so they are reported like any other bad input.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

_CREDENTIALS_HINT = (
    "run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a "
    "service account key file"
)


def cloud_error_types() -> tuple[type[Exception], ...]:
    """The base classes of Google API and auth errors (google-auth and api-core come with the SDKs)."""
    from google.api_core.exceptions import GoogleAPICallError  # pants: no-infer-dep
    from google.auth.exceptions import GoogleAuthError  # pants: no-infer-dep

    return (GoogleAPICallError, GoogleAuthError)


def describe_cloud_error(error: Exception) -> str:
    """One line for a Google API or auth error."""
    from google.api_core import exceptions as api  # pants: no-infer-dep
    from google.auth import exceptions as auth  # pants: no-infer-dep

    if isinstance(error, auth.DefaultCredentialsError):
        return f"no Google Cloud credentials found: {_CREDENTIALS_HINT}"
    if isinstance(error, auth.RefreshError):
        reason = _first_line(error)
        return f"Google Cloud credentials were refused ({reason}): they may have expired; {_CREDENTIALS_HINT}"
    if isinstance(error, auth.GoogleAuthError):
        return f"Google Cloud authentication failed: {_first_line(error)}; {_CREDENTIALS_HINT}"
    if not isinstance(error, api.GoogleAPICallError):
        return str(error)
    call = _call(error)
    message = _api_message(error)
    if isinstance(error, api.Unauthorized):
        return f"{call}: not authenticated (401): {message}; {_CREDENTIALS_HINT}"
    if isinstance(error, api.Forbidden):
        return (
            f"{call}: permission denied (403): {message}; check gcp.project_id in the environment's config "
            "and that your account (gcloud auth list) has a Vertex AI role on that project"
        )
    if isinstance(error, api.NotFound):
        return (
            f"{call}: not found (404): {message}; check the name or run id (mlops runs list), "
            "and gcp.project_id and gcp.region in the environment's config"
        )
    return f"{call}: {error.code or ''} {message}".replace(":  ", ": ")


def _call(error: Any) -> str:
    """`Google API METHOD resource` from the failed HTTP request (REST transport), if known."""
    request = getattr(getattr(error, "response", None), "request", None)
    url = getattr(request, "url", None)
    if not url:
        return "Google API call failed"
    path = unquote(urlsplit(str(url)).path)
    resource = path.split("/", 2)[-1] if path.startswith(("/v1/", "/v1beta1/")) else path
    return f"Google API {getattr(request, 'method', '')} {resource} failed".replace("  ", " ")


def _api_message(error: Any) -> str:
    """The API's own message, without the `METHOD URL: ` the REST transport puts before it."""
    message = _first_line(error.message or "")
    request = getattr(getattr(error, "response", None), "request", None)
    prefix = f"{getattr(request, 'method', '')} {getattr(request, 'url', '')}: "
    return message.removeprefix(prefix) if request is not None else message


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
