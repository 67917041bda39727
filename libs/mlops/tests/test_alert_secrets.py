"""Secret references: env variables, and Secret Manager through its official client against a local
fake of its REST API (the client's real requests, answered on this machine)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlops.alerts.secrets import SecretError, check_reference, read_secret

SECRETS = {"projects/acme/secrets/alerts-webhook/versions/3": "https://hooks.example/T/B/X"}


@pytest.fixture()
def secret_manager() -> Iterator[tuple[str, list[str]]]:
    """A fake Secret Manager: GET /v1/{name}:access for the versions in SECRETS (`latest` is the
    highest), 404 for anything else, as the API answers."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # - http.server's naming
            paths.append(self.path)
            name = self.path.removeprefix("/v1/").split("?")[0].removesuffix(":access")
            if name.endswith("/versions/latest"):
                name = max((n for n in SECRETS if n.startswith(name.removesuffix("latest"))), default=name)
            body: dict[str, object]
            if name not in SECRETS:
                error = {"code": 404, "message": f"Secret Version [{name}] not found.", "status": "NOT_FOUND"}
                body, status = {"error": error}, 404
            else:
                payload = {"data": base64.b64encode(SECRETS[name].encode()).decode()}
                body, status = {"name": name, "payload": payload}, 200
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", paths
    server.shutdown()


@pytest.mark.parametrize(
    "reference",
    ["", "env:ALERTS_WEBHOOK", "secretmanager:projects/acme/secrets/alerts-webhook",
     "secretmanager:projects/acme/secrets/alerts-webhook/versions/3",
     "secretmanager:projects/acme/secrets/alerts-webhook/versions/latest"],
)  # fmt: skip
def test_well_formed_references(reference: str) -> None:
    assert check_reference(reference) == reference


def test_a_plain_url_is_refused_as_a_secret_in_the_open() -> None:
    refused = r"a URL \(a webhook URL is a secret.*\) is not a secret reference; use env:NAME"
    with pytest.raises(SecretError, match=refused) as raised:
        check_reference("https://hooks.slack.com/services/T/B/X")
    assert "hooks.slack.com" not in str(raised.value)  # a refused secret is not echoed
    malformed = ["env:", "env:1X", "secretmanager:alerts-webhook", "vault:x"]
    for bad in [*malformed, "secretmanager:projects/a/secrets/s/versions/0"]:
        with pytest.raises(SecretError, match="is not a secret reference"):
            check_reference(bad)


def test_env_reference() -> None:
    assert read_secret("env:ALERTS_WEBHOOK", environ={"ALERTS_WEBHOOK": "https://h/x"}) == "https://h/x"
    with pytest.raises(SecretError, match="ALERTS_WEBHOOK is not set"):
        read_secret("env:ALERTS_WEBHOOK", environ={})


def test_secret_manager_through_the_client(secret_manager: tuple[str, list[str]]) -> None:
    endpoint, paths = secret_manager
    latest = read_secret("secretmanager:projects/acme/secrets/alerts-webhook", endpoint=endpoint)
    assert latest == SECRETS["projects/acme/secrets/alerts-webhook/versions/3"]
    assert paths[-1].split("?")[0] == "/v1/projects/acme/secrets/alerts-webhook/versions/latest:access"
    assert read_secret("secretmanager:projects/acme/secrets/alerts-webhook/versions/3", endpoint=endpoint)
    with pytest.raises(SecretError, match="NotFound.*other"):
        read_secret("secretmanager:projects/acme/secrets/other", endpoint=endpoint)
