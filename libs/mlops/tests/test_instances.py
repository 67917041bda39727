"""Request rows checked and turned into columns (mlops.instances): every refusal names the instance and field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest

from mlops.fast_features import Kind
from mlops.instances import InstanceError, columns_of_frame, columns_of_instances

KINDS: dict[str, Kind] = {"tenure": "number", "signup": "timestamp", "plan": "category"}
COLUMNS = list(KINDS)
ROW: dict[str, Any] = {"tenure": 12, "signup": "2024-03-05T10:20:30+02:00", "plan": "monthly"}


def test_objects_and_lists_become_typed_columns() -> None:
    instances = [ROW, [None, None, 2], {"tenure": 1.5, "signup": "2024-03-06", "plan": None}]
    columns = columns_of_instances(instances, COLUMNS, KINDS)
    np.testing.assert_array_equal(columns["tenure"], [12.0, np.nan, 1.5])
    assert columns["signup"].tolist() == [datetime(2024, 3, 5, 10, 20, 30), None, datetime(2024, 3, 6)]
    assert columns["plan"].tolist() == ["monthly", 2, None]


@pytest.mark.parametrize(
    ("instances", "index", "field", "words"),
    [
        ([], None, None, "empty"),
        ({"tenure": 1}, None, None, "must be a list"),
        ([ROW, 5], 1, None, "object or a list"),
        ([{"tenure": 1, "plan": "a"}], 0, "signup", "missing"),
        ([{**ROW, "colour": "red"}], 0, "colour", "unknown field"),
        ([{**ROW, "tenure": "twelve"}], 0, "tenure", "expected a number, got str 'twelve'"),
        ([{**ROW, "tenure": True}], 0, "tenure", "expected a number, got bool"),
        ([{**ROW, "tenure": 10**400}], 0, "tenure", "too large"),
        ([{**ROW, "plan": ["monthly"]}], 0, "plan", "expected text or a number, got list"),
        ([ROW, {**ROW, "signup": "yesterday"}], 1, "signup", "'yesterday' is not a timestamp"),
        ([{**ROW, "signup": "2024-02-30"}], 0, "signup", "not a valid timestamp"),
        ([{**ROW, "signup": "2024-02-03 10:00 and more"}], 0, "signup", "is not a timestamp"),
        ([{**ROW, "signup": 1700000000}], 0, "signup", "expected a timestamp as text"),
        ([[1, 2]], 0, None, "expected 3 values in the order"),
    ],
)
def test_bad_instances_name_the_instance_and_field(instances, index, field, words) -> None:
    with pytest.raises(InstanceError) as caught:
        columns_of_instances(instances, COLUMNS, KINDS)
    assert (caught.value.index, caught.value.field) == (index, field)
    assert words in str(caught.value)


def test_frames_name_the_missing_column_and_the_row_of_a_bad_value() -> None:
    with pytest.raises(InstanceError, match=r"missing column\(s\) \['plan'\]"):
        columns_of_frame(pd.DataFrame({"tenure": [1], "signup": ["2024-01-01"]}), COLUMNS, KINDS)
    frame = pd.DataFrame({"tenure": [1, "x"], "signup": ["2024-01-01", None], "plan": ["a", "b"]})
    with pytest.raises(InstanceError) as caught:
        columns_of_frame(frame, COLUMNS, KINDS)
    assert (caught.value.index, caught.value.field) == (1, "tenure")
