"""Secret references: where a secret (a webhook URL, say) is read from at run time.

A secret is never a config value or a pipeline parameter: parameters are shown in the console and
written into the compiled spec. The config names where to read it instead:

- `env:NAME`: the environment variable NAME of the process that needs it (local runs);
- `secretmanager:projects/P/secrets/S` or `.../secrets/S/versions/V` (default `latest`): Google
  Secret Manager, read with the official client as the step's service account, which needs
  `roles/secretmanager.secretAccessor` on that secret only (terraform/modules/iam).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from mlops.google_api import credentials_for
from mlops.problems import HiddenInputError

_SECRET_MANAGER = re.compile(r"^projects/[^/]+/secrets/[A-Za-z0-9_-]{1,255}(/versions/(latest|[1-9][0-9]*))?$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretError(HiddenInputError):
    """A secret reference is malformed, or the secret it names cannot be read. A config error it
    causes never repeats the value (it may be the secret itself)."""


def check_reference(reference: str) -> str:
    """`reference` if it is a well-formed secret reference (or empty: none); SecretError otherwise.

    A bare URL is refused: it would travel as a plain value, which is what references avoid.
    """
    scheme, _, rest = reference.partition(":")
    if not reference:
        return reference
    if scheme == "env" and _ENV_NAME.match(rest):
        return reference
    if scheme == "secretmanager" and _SECRET_MANAGER.match(rest):
        return reference
    if scheme in ("http", "https"):  # the secret itself: not repeated in the message
        what = "a URL (a webhook URL is a secret: keep it out of config files and pipeline parameters)"
    else:
        what = repr(reference)
    raise SecretError(
        f"{what} is not a secret reference; use env:NAME (an environment variable) or "
        "secretmanager:projects/PROJECT/secrets/NAME[/versions/VERSION]"
    )


def env_references(values: Mapping[str, Any]) -> list[str]:
    """The environment variable names the `env:NAME` references among `values` (e.g. a run's
    parameters) point at, each once, sorted: what a step in a container must be given."""
    names = set()
    for value in values.values():
        if isinstance(value, str) and value.startswith("env:") and _ENV_NAME.match(value[4:]):
            names.add(value[4:])
    return sorted(names)


def read_secret(
    reference: str,
    *,
    environ: Mapping[str, str] | None = None,
    endpoint: str | None = None,
    credentials: Any = None,
) -> str:
    """The secret `reference` names, as text. `endpoint` (e.g. `http://127.0.0.1:PORT`) points the
    Secret Manager client at a local fake; `environ` defaults to this process's environment."""
    check_reference(reference)
    scheme, _, rest = reference.partition(":")
    if scheme == "env":
        value = (os.environ if environ is None else environ).get(rest, "")
        if not value:
            raise SecretError(f"{reference}: the environment variable {rest} is not set (or empty) in this process")
        return value
    name = rest if "/versions/" in rest else f"{rest}/versions/latest"
    # google-api-core comes with the Secret Manager client.
    from google.api_core import exceptions  # pants: no-infer-dep
    from google.api_core.client_options import ClientOptions  # pants: no-infer-dep
    from google.cloud import secretmanager

    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    client = secretmanager.SecretManagerServiceClient(
        transport="rest", client_options=options, credentials=credentials_for(credentials, endpoint)
    )
    try:
        response = client.access_secret_version(name=name)
    except (exceptions.NotFound, exceptions.PermissionDenied) as error:
        raise SecretError(f"{reference}: {type(error).__name__}: {error.message}") from None
    return response.payload.data.decode("utf-8")
