"""The table schema data is checked against: written by hand (YAML or JSON) or inferred from data.

A schema names each column's kind, whether it is required, its largest allowed null rate and,
for numbers, a [min, max] range; for low-cardinality strings, the allowed categories. The file
format is described in components/validate/README.md. `infer_schema` derives one from a Parquet
file with DuckDB aggregates, so it works on tables far larger than memory.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlops import storage
from mlops.problems import problems
from mlops.sql import quote_identifier
from validate.duck import NUMERIC_KINDS, Kind, fetch_all, fetch_one, kind_of, open_table
from validate.errors import SchemaError

log = logging.getLogger("validate")


class _Strict(BaseModel):
    # Unknown keys are almost always typos in a hand-written file: reject them, naming the key.
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnSpec(_Strict):
    """What one column must look like. The column's name is its key in `TableSchema.columns`."""

    kind: Kind
    required: bool = True
    max_null_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    min: float | None = None
    max: float | None = None
    categories: list[str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ColumnSpec:
        if (self.min is not None or self.max is not None) and self.kind not in NUMERIC_KINDS:
            raise ValueError(f"min/max apply to integer and float columns, not to a {self.kind} column")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is larger than max {self.max:g}")
        if self.categories is not None and self.kind != "string":
            raise ValueError(f"categories apply to string columns, not to a {self.kind} column")
        return self


class Inference(_Strict):
    """Where an inferred schema came from, and the options used."""

    source: str
    rows: int
    range_margin: float
    null_rate_factor: float
    null_rate_margin: float
    max_categories: int


class TableSchema(_Strict):
    """The whole schema: table-level rules and one spec per column, in column order."""

    format_version: Literal[1] = 1
    min_rows: int = Field(default=1, ge=1)
    columns: dict[str, ColumnSpec] = Field(min_length=1)
    inferred_from: Inference | None = None


_ALLOWED_KEYS = {
    "table": list(TableSchema.model_fields),
    "column": list(ColumnSpec.model_fields),
    "inferred": list(Inference.model_fields),
}


def load_schema(uri: str) -> TableSchema:
    """Read a schema file: YAML if the name ends in .yaml/.yml, JSON otherwise (KFP artifacts)."""
    try:
        text = storage.read_text(uri)
    except (storage.StorageError, OSError) as error:
        raise SchemaError(f"{uri}: schema file not found or unreadable ({error})") from None
    raw = _parse(uri, text)
    if not isinstance(raw, dict):
        raise SchemaError(f"{uri}: expected a mapping with a 'columns' key at the top level, got {type(raw).__name__}")
    try:
        return TableSchema.model_validate(raw)
    except ValidationError as error:
        lines = [f"{uri}: {error.error_count()} problem(s) in schema:"]
        lines += [f"  - {line}" for line in problems(error, unknown_key=_unknown_key)]
        raise SchemaError("\n".join(lines)) from None


def save_schema(schema: TableSchema, uri: str) -> None:
    """Write `schema` atomically: YAML if the name ends in .yaml/.yml, JSON otherwise."""
    data = schema.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump(data, sort_keys=False) if _is_yaml(uri) else json.dumps(data, indent=2) + "\n"
    storage.write_text(uri, text)


def _is_yaml(uri: str) -> bool:
    return PurePosixPath(uri).suffix.lower() in (".yaml", ".yml")


def _parse(uri: str, text: str) -> Any:
    if _is_yaml(uri):
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            raise SchemaError(f"{uri}: invalid YAML{where}: {getattr(error, 'problem', None) or error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SchemaError(f"{uri}: invalid JSON (line {error.lineno}, column {error.colno}): {error.msg}") from None


def _unknown_key(location: Sequence[str]) -> str:
    level = "table"
    if location[0] == "columns" and len(location) == 3:
        level = "column"
    elif location[0] == "inferred_from":
        level = "inferred"
    return f"unknown key (check the spelling; allowed: {', '.join(_ALLOWED_KEYS[level])})"


@dataclass(frozen=True)
class InferOptions:
    """How observed statistics become rules (see README: "Inferred schemas")."""

    # Widen the observed [min, max] by this share of its span on each side. Ranges catch gross
    # errors (signs, units), not tails: with 0.1, a clean 300-row split broke the range of a
    # count column inferred from 2,000 rows (support_calls, 8 > 7).
    range_margin: float = 0.5
    null_rate_factor: float = 2.0  # a column with nulls may have factor x its observed null rate...
    null_rate_margin: float = 0.01  # ...plus this; a column without nulls must stay without nulls
    max_categories: int = 50  # strings with at most this many distinct values get a category set
    min_rows: int = 1


def infer_schema(parquet_path: str, options: InferOptions | None = None) -> TableSchema:
    """Infer a schema from the Parquet file at `parquet_path` in two scans of DuckDB aggregates."""
    options = options or InferOptions()
    columns: dict[str, ColumnSpec] = {}
    with open_table(parquet_path) as (connection, types):
        kinds = {name: kind_of(kind) for name, kind in types.items()}
        for name, kind in kinds.items():
            if kind is None:
                log.warning("%s: column %r of type %s is not checked (unsupported)", parquet_path, name, types[name])
        checked = {name: kind for name, kind in kinds.items() if kind is not None}
        if not checked:
            raise SchemaError(f"{parquet_path}: no column of a supported type ({', '.join(types) or 'no columns'})")
        aggregates = ["count(*)"] + [_stat_sql(name, kind) for name, kind in checked.items()]
        row = fetch_one(connection, f"SELECT {', '.join(aggregates)} FROM data", parquet_path)
        rows = int(row[0])
        if rows == 0:
            raise SchemaError(f"{parquet_path}: cannot infer a schema from an empty table (0 rows)")
        for (name, kind), stats in zip(checked.items(), row[1:], strict=True):
            categories = None
            if kind == "string" and stats["distinct"] <= options.max_categories * 1.2 + 5:  # HLL is approximate
                categories = _categories(connection, parquet_path, name, options.max_categories)
            columns[name] = _column_spec(kind, rows, stats, categories, options)
    info = Inference(source=parquet_path, rows=rows, **{k: v for k, v in asdict(options).items() if k != "min_rows"})
    return TableSchema(min_rows=options.min_rows, columns=columns, inferred_from=info)


def _stat_sql(name: str, kind: Kind) -> str:
    column = quote_identifier(name)
    fields = [f"'values': count({column})"]
    if kind == "float":
        finite = f"FILTER (WHERE isfinite(CAST({column} AS DOUBLE)))"
        fields += [f"'min': CAST(min({column}) {finite} AS DOUBLE)", f"'max': CAST(max({column}) {finite} AS DOUBLE)"]
    elif kind == "integer":
        fields += [f"'min': CAST(min({column}) AS DOUBLE)", f"'max': CAST(max({column}) AS DOUBLE)"]
    if kind in ("integer", "string"):
        fields.append(f"'distinct': approx_count_distinct({column})")
    return "{" + ", ".join(fields) + "}"


def _categories(connection: Any, path: str, name: str, limit: int) -> list[str] | None:
    column = quote_identifier(name)
    query = f"SELECT DISTINCT CAST({column} AS VARCHAR) FROM data WHERE {column} IS NOT NULL LIMIT {limit + 1}"
    values = [str(value) for (value,) in fetch_all(connection, query, path)]
    return sorted(values) if len(values) <= limit else None


def _column_spec(
    kind: Kind, rows: int, stats: dict[str, Any], categories: list[str] | None, options: InferOptions
) -> ColumnSpec:
    nulls = rows - int(stats["values"])
    allowed_nulls = nulls / rows * options.null_rate_factor + options.null_rate_margin
    max_null_rate = 0.0 if nulls == 0 else min(1.0, _round_up(allowed_nulls, 4))
    low, high = stats.get("min"), stats.get("max")
    # An integer column whose values are all distinct is a key (an id): new ids must not fail a range.
    is_key = kind == "integer" and stats["values"] > 100 and stats["distinct"] >= 0.95 * stats["values"]
    if low is None or high is None or is_key:
        return ColumnSpec(kind=kind, max_null_rate=max_null_rate, categories=categories)
    span = high - low or abs(high)
    margin = options.range_margin * span
    if kind == "integer":
        margin = math.ceil(margin) if span > 1 else 0.0  # whole numbers; a 0/1 flag keeps [0, 1]
    low, high = low - margin, high + margin
    if stats["min"] >= 0:
        low = max(low, 0.0)  # a column never negative in the data must stay non-negative
    step = 1.0 if kind == "integer" else 10.0 ** (math.floor(math.log10(span)) - 3) if span else 1.0
    return ColumnSpec(
        kind=kind,
        max_null_rate=max_null_rate,
        min=round(math.floor(low / step) * step, 12),
        max=round(math.ceil(high / step) * step, 12),
    )


def _round_up(value: float, digits: int) -> float:
    scale = 10**digits
    return math.ceil(value * scale) / scale

