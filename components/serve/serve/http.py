"""The HTTP side of the server, on raw ASGI: reading a bounded body, answering JSON, access logs.

No web framework: a prediction request needs one route lookup, one bounded read, one JSON parse and
one JSON answer, and a framework's routing, validation and middleware cost more than the model
(docs/benchmarks.md, "Online serving").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_JSON_HEADERS = [(b"content-type", b"application/json")]
DRAIN_BYTES = 8_000_000  # an oversized body up to this size is read to its end before the 413
access_log = logging.getLogger("serve.access")


class BodyTooLarge(Exception):
    """The request body is over the limit; the message says both sizes."""


class ClientGone(Exception):
    """The client disconnected before sending its whole body."""


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes (from Content-Length, or while reading).

    An oversized body is still read, and thrown away, up to DRAIN_BYTES: a client that is still
    sending when the server answers and closes would otherwise get a broken pipe instead of the 413.
    """
    lengths = [int(value) for name, value in scope["headers"] if name == b"content-length" and value.isdigit()]
    declared = lengths[0] if lengths else 0
    chunks, size = [], 0
    while True:
        if declared > limit and (declared > DRAIN_BYTES or size >= declared):
            raise BodyTooLarge(f"request body of {declared:,} bytes is over the limit of {limit:,} bytes")
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif size > DRAIN_BYTES:
            raise BodyTooLarge(f"request body is over the limit of {limit:,} bytes")
        if not message.get("more_body", False):
            if size > limit:
                raise BodyTooLarge(f"request body of {size:,} bytes is over the limit of {limit:,} bytes")
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def error_body(message: str, instance: int | None = None, field: str | None = None) -> bytes:
    """`{"error": {"message", "instance", "field"}}`: what a client gets for any refused request."""
    return orjson.dumps({"error": {"message": message, "instance": instance, "field": field}})


async def respond(send: Send, status: int, body: bytes) -> None:
    """Send one complete JSON response."""
    headers = [*_JSON_HEADERS, (b"content-length", str(len(body)).encode())]  # not chunked: one write
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def log_access(scope: Scope, status: int, request_bytes: int, response_bytes: int, seconds: float) -> None:
    """One Cloud Logging line with an `httpRequest` record (Logs Explorer shows it as a request)."""
    client = scope.get("client")
    request = {
        "requestMethod": scope["method"],
        "requestUrl": scope["path"],
        "status": status,
        "requestSize": str(request_bytes),
        "responseSize": str(response_bytes),
        "latency": f"{seconds:.6f}s",
        "remoteIp": client[0] if client else "",
        "protocol": f"HTTP/{scope.get('http_version', '1.1')}",
    }
    severity = logging.WARNING if status >= 500 else logging.INFO
    fields = {"httpRequest": request}
    access_log.log(severity, "%s %s %d", scope["method"], scope["path"], status, extra={"fields": fields})
