"""The HTTP side of the fake Vertex AI API: requests as recorded, injected faults, the handler."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received. `body` is the parsed JSON (or raw text, or None)."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Fault:
    """An injected error: the next `times` requests matching method and path get `code`."""

    method: str
    path_contains: str
    code: int
    status: str
    times: int


def handler_class(dispatch: Callable[[RecordedRequest], tuple[int, Any]]) -> type[BaseHTTPRequestHandler]:
    """A request handler that parses each request into a RecordedRequest and answers `dispatch(request)`."""

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects

        def _answer(self) -> None:
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8")
            try:
                body: Any = json.loads(raw) if raw else None
            except json.JSONDecodeError:
                body = raw
            request = RecordedRequest(self.command, unquote(url.path), parse_qs(url.query), body, dict(self.headers))
            status, payload = dispatch(request)
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer

        def log_message(self, format: str, *args: Any) -> None:  # - the base class's name
            """Quiet: tests read `fake.requests` instead of the server's access log."""

    return _Handler
