"""Retrying what may succeed on a second try, and only that: the rule every pipeline step follows.

A step retries an error itself, inside its process, when the error is transient: the network
(a refused or reset connection, a timeout, a DNS lookup that could not be answered now), or a
service saying "not now" (HTTP 429 and 5xx, google.api_core's ServiceUnavailable, TooManyRequests,
InternalServerError, DeadlineExceeded, ResourceExhausted). Anything else is the step's own verdict
on its input (a missing file, a missing column, a bad parameter): another attempt gives the same
answer, so it is raised at once. Only the step can tell the two apart (it has the exception);
KFP's task retry sees an exit code, so it would re-run both, with its 30 s back-offs.

How many times a step retries comes from its task's environment, `MLOPS_TRANSIENT_RETRIES`, which
the pipeline sets from the config's `resources.<step>.retries` (docs/running-pipelines.md).
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

RETRIES_ENV = "MLOPS_TRANSIENT_RETRIES"

# The network failing now, not the request being wrong (a missing file is an OSError too: ENOENT).
_TRANSIENT_ERRNOS = {
    errno.ECONNRESET, errno.ECONNREFUSED, errno.ECONNABORTED, errno.ETIMEDOUT, errno.EHOSTUNREACH,
    errno.ENETUNREACH, errno.ENETDOWN, errno.EPIPE, errno.EAGAIN,
}  # fmt: skip
# By name, so that a step without these libraries installed can still classify (and nothing is imported).
_TRANSIENT_CLASSES = {
    "google.api_core.exceptions": {
        "ServiceUnavailable", "TooManyRequests", "InternalServerError", "DeadlineExceeded", "ResourceExhausted",
        "BadGateway", "GatewayTimeout",
    },
    "google.auth.exceptions": {"TransportError"},  # the token request itself did not get through
    "requests.exceptions": {"ConnectionError", "Timeout", "ChunkedEncodingError"},
    "urllib3.exceptions": {"ProtocolError", "TimeoutError", "NewConnectionError"},
}  # fmt: skip
# 501 Not Implemented and 505 HTTP Version Not Supported say the request is wrong, not the moment.
_TRANSIENT_STATUS = {429} | set(range(500, 600)) - {501, 505}

log = logging.getLogger(__name__)


def is_transient(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from (`raise ... from`, or while handling it), is
    one that a later attempt may not meet: a network failure, HTTP 429 or 5xx."""
    seen: set[int] = set()
    found: BaseException | None = error
    while found is not None and id(found) not in seen:
        seen.add(id(found))
        if _transient_itself(found):
            return True
        found = found.__cause__ or (None if found.__suppress_context__ else found.__context__)
    return False


def _transient_itself(error: BaseException) -> bool:
    if not isinstance(error, Exception):
        return False  # KeyboardInterrupt, SystemExit, a cancelled run: never retried
    for cls in type(error).__mro__:
        if cls.__name__ in _TRANSIENT_CLASSES.get(cls.__module__, ()):
            return True
    if isinstance(error, ConnectionError | TimeoutError):  # socket.timeout is TimeoutError
        return True
    if isinstance(error, socket.gaierror):
        return error.errno == socket.EAI_AGAIN  # "temporary failure in name resolution" only
    if isinstance(error, OSError) and error.errno in _TRANSIENT_ERRNOS:
        return True
    reason = getattr(error, "reason", None)  # urllib's URLError wraps the socket's error
    if isinstance(reason, BaseException) and reason is not error and _transient_itself(reason):
        return True
    return _http_status(error) in _TRANSIENT_STATUS


def _http_status(error: BaseException) -> int | None:
    """The HTTP status an error carries: google.api_core's and urllib's `code`, duckdb's and
    requests' `status_code` (requests: on its `response`)."""
    response = getattr(error, "response", None)
    for value in (getattr(error, "code", None), getattr(error, "status_code", None),
                  getattr(response, "status_code", None)):  # fmt: skip
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


def transient_cause(error: BaseException) -> BaseException | None:
    """`error` if it is transient, else None: `raise StepError(...) from transient_cause(error)`
    keeps a transient error visible to retry_transient through the step's own error, while a
    permanent one stays the step's one-line message, as `from None` makes it."""
    return error if is_transient(error) else None


def retries_from_env(default: int = 0) -> int:
    """The number of retries the step's task was given (MLOPS_TRANSIENT_RETRIES), else `default`."""
    value = os.environ.get(RETRIES_ENV, "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{RETRIES_ENV}={value!r}: expected a whole number of retries, e.g. 2")
    return int(value)


def retry_transient(
    call: Callable[[], T],
    *,
    what: str,
    retries: int | None = None,
    first_delay: float = 2.0,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`call()`, tried again up to `retries` times (default: retries_from_env()) while it raises a
    transient error, after 2 s, 4 s, ... (doubling, at most `max_delay`); a permanent error, or the
    last transient one, is raised as it is. `what` names the call in the log line of each retry."""
    retries = retries_from_env() if retries is None else retries
    attempt = 0
    while True:
        try:
            return call()
        except Exception as error:
            if attempt >= retries or not is_transient(error):
                raise
            delay = min(max_delay, first_delay * 2**attempt)
            attempt += 1
            log.warning(
                "%s: transient error (%s: %s); retry %d of %d in %.0fs",
                what, type(error).__name__, str(error).splitlines()[0] if str(error) else "", attempt, retries, delay,
            )  # fmt: skip
            sleep(delay)
