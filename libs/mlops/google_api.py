"""Calling Google APIs the same way in GCP and against a local emulator or a test's fake of them."""

from __future__ import annotations

from typing import Any


def credentials_for(credentials: Any, *endpoints: str | None) -> Any:
    """`credentials` as given; anonymous ones when none are given and an endpoint is plain `http://`.

    A local emulator or fake takes no credentials, while the Google clients would otherwise look
    for Application Default Credentials, which a machine outside GCP does not have. None (no
    endpoint override) lets the clients find those credentials as usual.
    """
    if credentials is None and any(endpoint and endpoint.startswith("http://") for endpoint in endpoints):
        # google-auth comes with every Google client library the callers use.
        from google.auth.credentials import AnonymousCredentials  # pants: no-infer-dep

        return AnonymousCredentials()
    return credentials
