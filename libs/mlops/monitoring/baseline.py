"""The baseline: each feature's bins and training histogram, fixed at training time (docs/monitoring.md).

Bins rule:
- numeric: the edges are the distinct values among the 0, 1/n, ..., 1 quantiles (n =
  `numeric_bins`, default 10: min, deciles, max) of the feature's finite training values, taken
  with DuckDB's `quantile_disc`: the q-quantile of n sorted values is the value at 1-based position
  max(1, ceil(q * n)), the smallest value with at least a share q of the values at or below it
  (numpy's method="inverted_cdf"), so every edge is a value that occurs in the data. With edges
  e_0 < ... < e_m the buckets are (-inf, e_0], (e_0, e_1], ..., (e_{m-1}, e_m], (e_m, +inf), then
  null (NULL or NaN). Any later value has a bucket: below the training minimum it joins
  (-inf, min], above the maximum it goes to (max, +inf), which is empty in training. Duplicate
  quantiles (many equal values) collapse, so a constant feature has the buckets (-inf, c],
  (c, +inf) and null.
- categorical: the `top_categories` (default 50) most frequent training values (ties by value),
  then "other" (any other value, seen in training or not), then null. Values are compared as
  text, and a whole float is written as an integer (1.0 is "1"), as the model bundle does.

Stored as one JSON file, `baseline.json`, next to the model bundle of the version it belongs to.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from itertools import pairwise
from typing import TYPE_CHECKING, Literal

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlops import storage
from mlops.monitoring.buckets import MonitoringError, category_value, connect, count_buckets, numeric_value, open_source
from mlops.problems import problems

if TYPE_CHECKING:
    from mlops.registry.base import ModelVersion

BASELINE_FILE = "baseline.json"
BASELINE_FORMAT: Literal[1] = 1  # raised when the file's layout changes


class FeatureBaseline(BaseModel):
    """One feature's fixed bins and its training count per bucket (value buckets, then other/null)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["numeric", "categorical"]
    edges: list[float] = Field(default_factory=list)  # numeric: strictly increasing, finite
    categories: list[str] = Field(default_factory=list)  # categorical: most frequent first
    counts: list[int] = Field(default_factory=list)

    @property
    def bucket_count(self) -> int:
        # numeric: len(edges) + 1 value buckets + null; categorical: categories + other + null.
        return len(self.edges if self.kind == "numeric" else self.categories) + 2

    def bucket_labels(self) -> list[str]:
        if self.kind == "categorical":
            return [*self.categories, "(other)", "(null)"]
        bounds = ["-inf", *(repr(edge) for edge in self.edges), "+inf"]
        ranges = [f"({low}, {high}]" for low, high in pairwise(bounds)]
        return [*ranges[:-1], ranges[-1].replace("]", ")"), "(null)"]

    @model_validator(mode="after")
    def _consistent(self) -> FeatureBaseline:
        if self.kind == "categorical" and self.edges or self.kind == "numeric" and self.categories:
            raise ValueError(f"a {self.kind} feature has {'edges' if self.edges else 'categories'}")
        if any(not math.isfinite(edge) for edge in self.edges):
            raise ValueError(f"edges must be finite, got {self.edges}")
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError(f"edges must be strictly increasing, got {self.edges}")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError("categories repeat a value")
        if self.counts and (len(self.counts) != self.bucket_count or min(self.counts) < 0):
            raise ValueError(f"counts must be {self.bucket_count} counts >= 0, got {self.counts}")
        return self


class Baseline(BaseModel):
    """A model version's training histograms (see the module docstring for the bins rule)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal[1] = BASELINE_FORMAT
    source: str = Field(description="the training table the histograms were computed from")
    rows: int = Field(ge=1)
    numeric_bins: int = Field(ge=2)
    top_categories: int = Field(ge=1)
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    features: dict[str, FeatureBaseline]

    def kind_of(self, feature: str) -> str:
        return self.features[feature].kind

    @model_validator(mode="after")
    def _counts_cover_the_rows(self) -> Baseline:
        # Every row lands in exactly one bucket of every feature (null included), so a feature whose
        # counts do not add up to `rows` was edited or truncated: scoring against it would mislead.
        if wrong := sorted(name for name, feature in self.features.items() if sum(feature.counts) != self.rows):
            raise ValueError(f"the counts of feature(s) {wrong} do not add up to rows ({self.rows})")
        return self


def compute_baseline(
    source: str | duckdb.DuckDBPyRelation,
    numeric: list[str],
    categorical: list[str],
    *,
    numeric_bins: int = 10,
    top_categories: int = 50,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Baseline:
    """The baseline of the training table `source` (Parquet file or folder, or a DuckDB relation).

    One query per feature fixes the bins (each reads one column, so memory stays at one column's
    sort or group state), then one pass over the table counts every feature's buckets.
    """
    if numeric_bins < 2 or top_categories < 1:
        raise MonitoringError(
            f"numeric_bins must be >= 2 and top_categories >= 1, got {numeric_bins}, {top_categories}"
        )
    if both := sorted(set(numeric) & set(categorical)):
        raise MonitoringError(f"feature(s) {both} listed as both numeric and categorical")
    connection = connection or connect()
    relation, label = open_source(connection, source)
    bins: dict[str, FeatureBaseline] = {}
    for name in numeric:
        bins[name] = FeatureBaseline(kind="numeric", edges=_edges(relation, label, name, numeric_bins))
    for name in categorical:
        bins[name] = FeatureBaseline(kind="categorical", categories=_top(relation, label, name, top_categories))
    rows, counts = count_buckets(relation, label, bins)
    if rows == 0:
        raise MonitoringError(f"{label}: the training table has no rows; a baseline needs data")
    features = {name: feature.model_copy(update={"counts": counts[name].tolist()}) for name, feature in bins.items()}
    return Baseline(
        source=label, rows=rows, numeric_bins=numeric_bins, top_categories=top_categories, features=features
    )


def _edges(relation: duckdb.DuckDBPyRelation, label: str, name: str, bins: int) -> list[float]:
    value = numeric_value(relation, label, name)
    quantiles = ", ".join(f"{i / bins!r}" for i in range(bins + 1))
    row = relation.aggregate(f"quantile_disc({value}, [{quantiles}]) FILTER (WHERE isfinite({value}))").fetchall()[0]
    return sorted({float(edge) for edge in (row[0] if row and row[0] else [])})


def _top(relation: duckdb.DuckDBPyRelation, label: str, name: str, k: int) -> list[str]:
    value = category_value(relation, label, name)
    top = relation.query(
        "training",
        f"SELECT {value} AS v, count(*) AS n FROM training WHERE {value} IS NOT NULL "
        f"GROUP BY v ORDER BY n DESC, v LIMIT {int(k)}",
    )
    assert top is not None  # a SELECT always gives a relation
    rows = top.fetchall()
    return [str(value) for value, _ in rows]


def save_baseline(baseline: Baseline, folder_uri: str) -> str:
    """Write `baseline` as `folder_uri/baseline.json` (atomically); returns its URI.

    Next to a model bundle, write it after `save_bundle`, which replaces the whole folder.
    """
    uri = storage.join(folder_uri, BASELINE_FILE)
    storage.write_text(uri, json.dumps(baseline.model_dump(mode="json"), indent=1) + "\n")
    return uri


def load_baseline(folder_or_file: str) -> Baseline:
    """Read a baseline from a folder holding `baseline.json`, or from the file itself."""
    uri = folder_or_file if folder_or_file.endswith(".json") else storage.join(folder_or_file, BASELINE_FILE)
    try:
        document = json.loads(storage.read_text(uri))
    except storage.StorageError as error:
        raise MonitoringError(f"{uri}: no baseline: {error}") from None
    except ValueError as error:
        raise MonitoringError(f"{uri}: not valid JSON: {error}") from None
    try:
        return Baseline.model_validate(document)
    except ValidationError as error:
        raise MonitoringError(f"{uri}: not a baseline: " + "; ".join(problems(error, show_input=False))) from None


def version_baseline(version: ModelVersion) -> Baseline:
    """The baseline stored with a registered model version: `baseline.json` in its bundle folder,
    which the train step writes and the registry copies (local) or points at (Vertex AI)."""
    uri = storage.join(version.bundle_uri, BASELINE_FILE)
    if not storage.exists(uri):
        raise MonitoringError(
            f"{uri}: model {version.model_name!r} version {version.version} has no baseline "
            "(it was trained before the train step stored one); retrain to get one"
        )
    return load_baseline(uri)
