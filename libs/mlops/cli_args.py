"""Command-line values shared by the `mlops` CLI and the component images' command lines."""

from __future__ import annotations

from collections.abc import Iterable


def parse_assignments(items: Iterable[str], option: str, shape: str = "KEY=VALUE") -> dict[str, str]:
    """`KEY=VALUE` strings (a repeated option such as --label) as a dict; a later key wins.

    Raises ValueError saying "`option` must be `shape`, got ..." for an item without `=` or with an
    empty key; callers turn it into their usage error.
    """
    pairs: dict[str, str] = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise ValueError(f"{option} must be {shape}, got {item!r}")
        pairs[key.strip()] = value
    return pairs
