"""The names, references and traffic arithmetic both deployment targets share."""

from __future__ import annotations

import pytest

from mlops.endpoints.base import EndpointError, canary_split, check_endpoint_name, parse_model_ref


@pytest.mark.parametrize(
    ("current", "percent", "expected"),
    [
        ({}, 100, {"new": 100}),
        ({"a": 100}, 10, {"a": 90, "new": 10}),
        ({"a": 60, "b": 40}, 10, {"a": 54, "b": 36, "new": 10}),
        ({"a": 50, "b": 50}, 33, {"a": 34, "b": 33, "new": 33}),  # the lost point goes to the first tie
        ({"a": 1, "b": 1, "c": 98}, 50, {"a": 1, "b": 0, "c": 49, "new": 50}),
        ({"a": 90, "b": 10}, 100, {"a": 0, "b": 0, "new": 100}),
        ({"a": 100, "b": 0}, 20, {"a": 80, "b": 0, "new": 20}),  # no traffic stays no traffic
    ],
)
def test_canary_split_keeps_proportions_in_whole_percent(
    current: dict[str, int], percent: int, expected: dict[str, int]
) -> None:
    split = canary_split(current, "new", percent)
    assert split == expected and sum(split.values()) == 100


@pytest.mark.parametrize("percent", [0, 101, -5, True])
def test_traffic_must_be_a_percentage(percent: int) -> None:
    with pytest.raises(EndpointError, match=f"traffic {percent!r}: give a whole percentage from 1 to 100"):
        canary_split({"a": 100}, "new", percent)


def test_model_references_and_endpoint_names() -> None:
    assert parse_model_ref("churn:3") == ("churn", "3") and parse_model_ref("churn") == ("churn", None)
    for bad in ("churn:", ":3", "churn:latest"):
        with pytest.raises(EndpointError, match="give a registered model as MODEL:VERSION"):
            parse_model_ref(bad)
    assert check_endpoint_name("churn-endpoint") == "churn-endpoint"
    with pytest.raises(EndpointError, match="endpoint name '../x' is not valid"):
        check_endpoint_name("../x")
