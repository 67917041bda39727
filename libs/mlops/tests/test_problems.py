from __future__ import annotations

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from mlops.problems import problems


class Inner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int


class Outer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    inner: Inner


def error_of(data: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Outer.model_validate(data)
    return caught.value


def test_each_problem_is_a_dotted_key_and_a_message_with_the_bad_value() -> None:
    found = problems(error_of({"inner": {"size": "big", "colour": "red"}}))
    assert found == [
        "name: Field required",
        "inner.size: Input should be a valid integer, unable to parse string as an integer (got 'big')",
        "inner.colour: Extra inputs are not permitted (got 'red')",
    ]


def test_unknown_keys_get_the_callers_message_and_inputs_can_be_left_out() -> None:
    error = error_of({"name": 1, "inner": {"size": 2, "colour": "red"}})
    assert problems(error, show_input=False, unknown_key="unknown key") == [
        "name: Input should be a valid string",
        "inner.colour: unknown key",
    ]
    assert problems(error, unknown_key=lambda where: f"no {where[-1]} here")[1] == "inner.colour: no colour here"
    (top,) = problems(error_of([1]))
    assert top == "(top level): Input should be a valid dictionary or instance of Outer (got [1])"
