"""Transient errors are retried with a bounded back-off; a step's own errors are raised at once."""

from __future__ import annotations

import socket
import urllib.error
from collections.abc import Callable

import pytest
from google.api_core import exceptions  # pants: no-infer-dep (comes with the Google client libraries)

from mlops.retries import RETRIES_ENV, is_transient, retries_from_env, retry_transient, transient_cause


class StepError(Exception):
    """Stands for a step's own error type (IngestError and the like)."""


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_connection_is_retried_until_the_server_is_up() -> None:
    port = _closed_port()
    attempts: list[int] = []
    delays: list[float] = []
    server: list[socket.socket] = []

    def connect() -> str:
        attempts.append(len(attempts) + 1)
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return "connected"

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 2:  # the server comes up before the third attempt
            listener = socket.socket()
            listener.bind(("127.0.0.1", port))
            listener.listen()
            server.append(listener)

    try:
        assert retry_transient(connect, what="connect", retries=3, sleep=sleep) == "connected"
    finally:
        for listener in server:
            listener.close()
    assert attempts == [1, 2, 3]
    assert delays == [2.0, 4.0]  # doubling from 2 s


def test_a_permanent_error_is_raised_at_once_however_many_retries() -> None:
    attempts = []

    def read() -> None:
        attempts.append(1)
        open("/no/such/source.csv").close()  # FileNotFoundError: an OSError, but not a transient one

    slept: list[float] = []
    with pytest.raises(FileNotFoundError):
        retry_transient(read, what="read", retries=5, sleep=slept.append)
    assert len(attempts) == 1 and slept == []


def test_the_last_transient_error_is_raised_once_retries_are_spent() -> None:
    attempts = []

    def call() -> None:
        attempts.append(1)
        raise exceptions.ServiceUnavailable("backend unavailable")

    slept: list[float] = []
    with pytest.raises(exceptions.ServiceUnavailable):
        retry_transient(call, what="call", retries=6, max_delay=10.0, sleep=slept.append)
    assert len(attempts) == 7
    assert slept == [2.0, 4.0, 8.0, 10.0, 10.0, 10.0]  # bounded by max_delay


@pytest.mark.parametrize(
    "error",
    [
        exceptions.ServiceUnavailable("503"),
        exceptions.TooManyRequests("quota"),
        exceptions.InternalServerError("500"),
        exceptions.DeadlineExceeded("slow"),
        exceptions.ResourceExhausted("quota"),
        ConnectionResetError(104, "reset by peer"),
        TimeoutError("timed out"),
        socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        urllib.error.HTTPError("https://x", 429, "Too Many Requests", {}, None),  # type: ignore[arg-type]
        urllib.error.URLError(ConnectionRefusedError(111, "refused")),
    ],
    ids=type,
)
def test_network_and_service_errors_are_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        exceptions.NotFound("no table"),
        exceptions.InvalidArgument("bad query"),
        exceptions.Forbidden("no permission"),
        FileNotFoundError(2, "No such file"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
        urllib.error.HTTPError("https://x", 404, "Not Found", {}, None),  # type: ignore[arg-type]
        ValueError("bad split fractions"),
        KeyError("column"),
    ],
    ids=type,
)
def test_a_steps_own_errors_and_4xx_are_permanent(error: Exception) -> None:
    assert not is_transient(error)


def _raised(make: Callable[[], None]) -> BaseException:
    try:
        make()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


def test_a_step_error_raised_from_a_transient_one_stays_transient_and_from_none_does_not() -> None:
    def wrap(cause: Exception) -> None:
        try:
            raise cause
        except Exception as error:
            raise StepError("source unreadable") from transient_cause(error)

    assert is_transient(_raised(lambda: wrap(exceptions.ServiceUnavailable("503"))))
    wrapped = _raised(lambda: wrap(exceptions.NotFound("no table")))
    assert not is_transient(wrapped) and wrapped.__suppress_context__  # one line, as `from None`


def test_the_number_of_retries_comes_from_the_tasks_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RETRIES_ENV, raising=False)
    assert retries_from_env() == 0
    monkeypatch.setenv(RETRIES_ENV, "2")
    assert retries_from_env() == 2
    monkeypatch.setenv(RETRIES_ENV, "two")
    with pytest.raises(ValueError, match="MLOPS_TRANSIENT_RETRIES='two': expected a whole number"):
        retries_from_env()
