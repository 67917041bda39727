"""Declared feature transforms: one vocabulary for training (features step) and serving.

A `FeatureSpec` lists transforms as data (YAML/JSON), each a pydantic model chosen by its `op`.
Every transform renders to one SQL expression from a per-op template, with identifiers quoted and
numbers typed, for two dialects: DuckDB (local runs, the features step, serving) and BigQuery
(production SQL). `apply_transforms` runs the DuckDB SQL on a DuckDB relation (Parquet files of any
size) or on a pandas DataFrame (request rows at serving time): one implementation, no skew.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mlops.problems import problems
from mlops.sql import quote_identifier

if TYPE_CHECKING:  # the engines are imported where they run: reading a spec needs neither (CLI start)
    import duckdb
    import pandas as pd

_INPUT_FIELDS = ("column", "numerator", "denominator")
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_RelationOrFrame = TypeVar("_RelationOrFrame", "duckdb.DuckDBPyRelation", "pd.DataFrame")


class FeatureError(Exception):
    """A feature spec is invalid or does not fit the data. The message names the transform or column."""


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines the transforms run on."""

    quote: str  # identifier quote character
    double: str
    integer: str
    day_of_week: str  # 0 = Monday .. 6 = Sunday, in both dialects
    templates: tuple[tuple[str, str], ...] = ()  # (op, template) overriding TEMPLATES

    def identifier(self, name: str) -> str:
        return quote_identifier(name, self.quote)


DUCKDB = Dialect('"', "DOUBLE", "BIGINT", "isodow({ts}) - 1")
# BigQuery's DAYOFWEEK is 1 = Sunday .. 7 = Saturday: shifted to Monday = 0. BigQuery may evaluate a
# CASE branch it does not take, so division and logarithm use its SAFE forms, which give NULL.
_BIGQUERY_TEMPLATES = (
    ("ratio", "SAFE_DIVIDE(CAST({numerator} AS {double}), {denominator})"),
    ("log1p", "CASE WHEN {column} > -1 THEN SAFE.LN(1 + CAST({column} AS {double})) END"),
)
BIGQUERY = Dialect("`", "FLOAT64", "INT64", "MOD(EXTRACT(DAYOFWEEK FROM {ts}) + 5, 7)", _BIGQUERY_TEMPLATES)
DIALECTS = {"duckdb": DUCKDB, "bigquery": BIGQUERY}

# One template per op. Placeholders hold quoted identifiers, type names or typed literals, never input.
TEMPLATES = {
    "passthrough": "{column}",
    "log1p": "CASE WHEN {column} > -1 THEN ln(1 + CAST({column} AS {double})) END",
    "ratio": "CASE WHEN {denominator} <> 0 THEN CAST({numerator} AS {double}) / {denominator} END",
    "bucketize": "CAST(CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {last} END AS {integer})",
    "clip": "CAST(CASE WHEN {column} IS NULL THEN NULL {whens} ELSE {column} END AS {double})",
    "hour_of_day": "CAST(EXTRACT(HOUR FROM {timestamp}) AS {integer})",
    "day_of_week": "CAST({day_of_week} AS {integer})",
    "month": "CAST(EXTRACT(MONTH FROM {timestamp}) AS {integer})",
}


def _number(value: float) -> str:  # a finite float as a literal both dialects parse as floating point
    return repr(float(value))


class _Transform(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    op: str
    name: str = Field(description="output column")

    def inputs(self) -> list[str]:
        """The input columns this transform reads."""
        return [getattr(self, field) for field in _INPUT_FIELDS if hasattr(self, field)]

    def values(self, dialect: Dialect) -> dict[str, str]:  # template values besides the input columns
        return {}

    def to_sql(self, dialect: Dialect = DUCKDB) -> str:
        """This transform's SQL expression in `dialect` (without the `AS name`)."""
        values = {field: dialect.identifier(getattr(self, field)) for field in _INPUT_FIELDS if hasattr(self, field)}
        timestamp = f"CAST({values.get('column')} AS TIMESTAMP)"
        values.update(double=dialect.double, integer=dialect.integer, timestamp=timestamp)
        values.update(day_of_week=dialect.day_of_week.format(ts=timestamp), **self.values(dialect))
        return dict(dialect.templates).get(self.op, TEMPLATES[self.op]).format(**values)


class ColumnTransform(_Transform):
    """One column: passthrough; log1p (a float, NULL where x <= -1); hour_of_day, day_of_week, month (UTC).

    hour_of_day is 0-23, day_of_week 0 = Monday .. 6 = Sunday, month 1-12.
    """

    op: Literal["passthrough", "log1p", "hour_of_day", "day_of_week", "month"]
    column: str


class Ratio(_Transform):
    """numerator / denominator as a float; NULL where the denominator is 0 or NULL."""

    op: Literal["ratio"]
    numerator: str
    denominator: str


class Bucketize(_Transform):
    """Index of the bucket: 0 below boundaries[0], i where boundaries[i-1] <= x < boundaries[i]."""

    op: Literal["bucketize"]
    column: str
    boundaries: list[float] = Field(min_length=1)

    @field_validator("boundaries")
    @classmethod
    def _sorted_and_finite(cls, value: list[float]) -> list[float]:
        if any(not math.isfinite(b) for b in value) or any(a >= b for a, b in itertools.pairwise(value)):
            raise ValueError(f"boundaries must be finite and strictly increasing, got {value}")
        return value

    def values(self, dialect: Dialect) -> dict[str, str]:
        column = dialect.identifier(self.column)
        whens = " ".join(f"WHEN {column} < {_number(b)} THEN {i}" for i, b in enumerate(self.boundaries))
        return {"whens": whens, "last": str(len(self.boundaries))}


class Clip(_Transform):
    """x limited to [lower, upper] (either may be left out), as a float."""

    op: Literal["clip"]
    column: str
    lower: float | None = None
    upper: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Clip:
        bounds = [b for b in (self.lower, self.upper) if b is not None]
        if not bounds or any(not math.isfinite(b) for b in bounds):
            raise ValueError("clip needs a finite lower and/or upper bound")
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"clip lower {self.lower} is above upper {self.upper}")
        return self

    def values(self, dialect: Dialect) -> dict[str, str]:
        column, bounds = dialect.identifier(self.column), (("<", self.lower), (">", self.upper))
        whens = [f"WHEN {column} {op} {_number(b)} THEN {_number(b)}" for op, b in bounds if b is not None]
        return {"whens": " ".join(whens)}


Transform = Annotated[ColumnTransform | Ratio | Bucketize | Clip, Field(discriminator="op")]


class FeatureSpec(BaseModel):
    """The declared features of a table: key columns and the transforms that make each feature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity_column: str
    timestamp_column: str
    transforms: list[Transform] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> FeatureSpec:
        seen = {self.entity_column, self.timestamp_column}
        for transform in self.transforms:
            if not _SAFE_NAME.match(transform.name):
                raise ValueError(f"feature name {transform.name!r} is not SQL-safe (letters, digits, _; max 128)")
            if transform.name in seen:
                raise ValueError(f"feature name {transform.name!r} is used twice (or is a key column)")
            seen.add(transform.name)
        return self

    @property
    def feature_names(self) -> list[str]:
        return [transform.name for transform in self.transforms]

    def check_columns(self, available: Iterable[str], where: str = "data") -> None:
        """Raise FeatureError naming the first transform whose input column is not in `available`."""
        columns = list(available)
        for transform in self.transforms:
            for column in transform.inputs():
                if column not in columns:
                    raise FeatureError(
                        f"{where}: transform {transform.name!r} ({transform.op}) needs column {column!r}, "
                        f"which is missing; columns are: {', '.join(columns)}"
                    )


def load_spec(raw: Mapping[str, Any] | FeatureSpec, source: str = "feature spec") -> FeatureSpec:
    """Validate a feature spec from YAML/JSON data; every problem is reported with its key path."""
    if isinstance(raw, FeatureSpec):
        return raw
    try:
        return FeatureSpec.model_validate(raw)
    except ValidationError as error:
        lines = [f"{source}: {error.error_count()} problem(s):"]
        lines += [f"  - {line}" for line in problems(error, show_input=False)]
    # Raised outside the except block: no chained ValidationError keeping validator frames alive.
    raise FeatureError("\n".join(lines))


# Key column names no table has. A model bundle keeps its transforms only: the rows it predicts
# (requests, batch chunks, test splits) carry no keys, so a spec of its transforms names these.
_NO_ENTITY, _NO_TIMESTAMP = "__mlops_no_entity__", "__mlops_no_timestamp__"


def transforms_spec(
    transforms: list[dict[str, Any]], source: str = "the model bundle's transforms"
) -> FeatureSpec | None:
    """A FeatureSpec of `transforms` alone (a bundle's `transforms`), None if there are none;
    `apply_transforms` with it gives the features without key columns. FeatureError if invalid."""
    if not transforms:
        return None
    return load_spec({"entity_column": _NO_ENTITY, "timestamp_column": _NO_TIMESTAMP, "transforms": transforms}, source)


def select_list(spec: FeatureSpec, available: Iterable[str], dialect: Dialect = DUCKDB) -> str:
    """The SELECT list: key columns present in the input, then one `expression AS name` per feature."""
    columns = list(available)
    spec.check_columns(columns)
    keys = [c for c in (spec.entity_column, spec.timestamp_column) if c in columns]
    items = [dialect.identifier(c) for c in keys]
    items += [f"{t.to_sql(dialect)} AS {dialect.identifier(t.name)}" for t in spec.transforms]
    return ",\n    ".join(items)


def render_query(spec: FeatureSpec, source: str, available: Iterable[str], dialect: str = "duckdb") -> str:
    """A full `SELECT ... FROM source` computing the features, in the `duckdb` or `bigquery` dialect."""
    return f"SELECT\n    {select_list(spec, available, DIALECTS[dialect])}\nFROM {source}"


def apply_transforms(data: _RelationOrFrame, spec: FeatureSpec) -> _RelationOrFrame:
    """Compute the features of `data`: a DuckDB relation (lazy, any size) or a pandas DataFrame.

    Both go through the same DuckDB SQL. A relation gives a relation on the same connection (set its
    TimeZone to UTC, as `connect()` does); a DataFrame gives a DataFrame with the rows in order.
    """
    import duckdb
    import pandas as pd

    if isinstance(data, duckdb.DuckDBPyRelation):
        return data.project(select_list(spec, data.columns))
    if not isinstance(data, pd.DataFrame):
        raise FeatureError(f"apply_transforms needs a DuckDB relation or a pandas DataFrame, got {type(data)}")
    connection = connect()
    try:
        connection.register("request_rows", data)
        return connection.sql(f"SELECT {select_list(spec, data.columns)} FROM request_rows").df()
    except duckdb.Error as error:
        raise FeatureError(f"cannot compute features: {str(error).splitlines()[0]}") from None
    finally:
        connection.close()


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection set up for feature SQL (UTC, so time features do not depend on the host)."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection
