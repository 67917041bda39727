"""Pydantic validation errors as messages people can act on: one `dotted.key: problem` per line.

Config files, feature specs, bundle descriptions, data schemas and the contracts between steps all
report bad input this way, so a user sees the same shape of message wherever the mistake is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

UnknownKey = Callable[[Sequence[str]], str]


class HiddenInputError(ValueError):
    """A validator's error whose input must never be repeated back (a secret put where a reference
    belongs): `problems` then leaves out `(got VALUE)`."""


def problems(
    error: ValidationError, *, show_input: bool = True, unknown_key: str | UnknownKey | None = None
) -> list[str]:
    """`key: message` for each problem in `error`, the key dotted (`gcp.project_id`).

    Args:
        error: the pydantic error.
        show_input: append `(got VALUE)` to a wrong value (not to a missing key, nor to a whole
            mapping, which would repeat the file back).
        unknown_key: the message for an unknown key (extra="forbid"), or a function of the key's
            path giving it; None keeps pydantic's "Extra inputs are not permitted".
    """
    lines = []
    for problem in error.errors(include_url=False):
        location = [str(part) for part in problem["loc"]]
        message = problem["msg"]
        if problem["type"] == "value_error":  # our validators' own words, without pydantic's prefix
            message = message.removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden" and unknown_key is not None:
            message = unknown_key if isinstance(unknown_key, str) else unknown_key(location)
        elif show_input and _worth_showing(problem):
            message += f" (got {problem['input']!r})"
        lines.append(f"{'.'.join(location) or '(top level)'}: {message}")
    return lines


def _worth_showing(problem: Any) -> bool:
    if isinstance(problem.get("ctx", {}).get("error"), HiddenInputError):
        return False
    return "input" in problem and problem["type"] != "missing" and not isinstance(problem["input"], dict)
