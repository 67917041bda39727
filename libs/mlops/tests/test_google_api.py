from __future__ import annotations

from google.auth.credentials import AnonymousCredentials  # pants: no-infer-dep (comes with the Google clients)

from mlops.google_api import credentials_for


def test_a_plain_http_endpoint_gets_anonymous_credentials() -> None:
    assert isinstance(credentials_for(None, None, "http://127.0.0.1:8080"), AnonymousCredentials)


def test_real_endpoints_and_given_credentials_are_left_alone() -> None:
    given = object()
    assert credentials_for(given, "http://127.0.0.1:8080") is given
    assert credentials_for(None, "https://europe-west2-aiplatform.googleapis.com") is None
    assert credentials_for(None, None) is None
