from __future__ import annotations

import pytest

from mlops.cli_args import parse_assignments


def test_pairs_split_at_the_first_equals_sign_and_later_keys_win() -> None:
    assert parse_assignments(["team=risk", "url=a=b", "team=ops", " env =dev", "empty="], "--label") == {
        "team": "ops",
        "url": "a=b",
        "env": "dev",
        "empty": "",
    }


@pytest.mark.parametrize("item", ["no-equals", "=value", " =value"])
def test_an_item_without_a_key_names_the_option_and_the_item(item: str) -> None:
    with pytest.raises(ValueError, match=f"^--set must be PARAM=VALUE, got {item!r}$"):
        parse_assignments(["ok=1", item], "--set", "PARAM=VALUE")
