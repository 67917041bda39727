"""The monitoring baseline train stores with the model: raw inputs, bins from the raw train split.

Hand-written tables with defects (NaN and null numbers, a null and a rare category), a derived
feature (a ratio) that the request log never holds, and the bins checked against numpy.
"""

import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kfp.dsl import Dataset, Model

from mlops.model_bundle import load_bundle
from mlops.monitoring.baseline import load_baseline, version_baseline
from mlops.registry.local import LocalModelRegistry
from train.baseline import model_baseline
from train.component import train
from train.core import TrainError, TrainSpec, save_model, train_model

ROWS = 40
TRANSFORMS = [
    {"op": "passthrough", "name": "tenure_months", "column": "tenure_months"},
    {"op": "ratio", "name": "charges_per_tenure_month", "numerator": "monthly_charges", "denominator": "tenure_months"},
    {"op": "passthrough", "name": "contract_type", "column": "contract_type"},
    {"op": "passthrough", "name": "region", "column": "region"},
]
SPEC = TrainSpec(
    target="churned",
    problem_type="classification",
    numeric_features=["tenure_months", "charges_per_tenure_month"],
    categorical_features=["contract_type", "region"],
    model_type="linear",
)


def raw_columns() -> dict[str, list[Any]]:
    """The raw split as ingest writes it: what a client sends, plus the label."""
    tenure: list[Any] = [float(i + 1) for i in range(ROWS)]
    tenure[3], tenure[7] = math.nan, None  # a NaN and a null: both land in the null bucket
    contract: list[Any] = [("monthly", "monthly", "annual", "two_year")[i % 4] for i in range(ROWS)]
    contract[5], contract[10] = None, "weekly"  # monthly 19, two_year 10, annual 9, weekly 1, null 1
    return {
        "tenure_months": tenure,
        "monthly_charges": [20.0 + (i % 7) * 5 for i in range(ROWS)],
        "contract_type": contract,
        "region": ["north" if i % 2 else "south" for i in range(ROWS)],
        "churned": [i % 3 == 0 for i in range(ROWS)],
    }


@pytest.fixture()
def tables(tmp_path: Path) -> dict[str, str]:
    """raw: the raw train split; features: what the features step gives train (no monthly_charges)."""
    raw = raw_columns()
    pq.write_table(pa.table(raw), tmp_path / "train_data")  # as KFP names it: no suffix
    ratio = [
        None if t is None or math.isnan(t) or t == 0 else c / t
        for t, c in zip(raw["tenure_months"], raw["monthly_charges"], strict=True)
    ]
    features = {key: raw[key] for key in ("tenure_months", "contract_type", "region", "churned")}
    pq.write_table(pa.table({**features, "charges_per_tenure_month": ratio}), tmp_path / "features.parquet")
    return {"raw": str(tmp_path / "train_data"), "features": str(tmp_path / "features.parquet")}


def test_train_stores_the_baseline_of_the_raw_inputs_next_to_the_bundle(tables: dict[str, str], tmp_path: Path) -> None:
    bundle = train_model(tables["features"], tables["features"], SPEC, transforms=TRANSFORMS)
    baseline = model_baseline(bundle.info, tables["raw"], numeric_bins=4, top_categories=2)
    folder = str(tmp_path / "model")
    save_model(bundle, folder, baseline)

    stored = load_baseline(folder)
    assert stored == baseline and stored.source == tables["raw"] and stored.rows == ROWS
    # The ratio is not monitored (never in a request); its inputs are, in the server's input order.
    assert list(stored.features) == ["tenure_months", "monthly_charges", "contract_type", "region"]
    assert (stored.numeric_bins, stored.top_categories) == (4, 2)

    tenure = stored.features["tenure_months"]
    finite = np.array([t for t in raw_columns()["tenure_months"] if t is not None and not math.isnan(t)])
    expected = np.unique(np.quantile(finite, [0, 0.25, 0.5, 0.75, 1], method="inverted_cdf"))
    assert tenure.kind == "numeric" and tenure.edges == expected.tolist() == [1.0, 12.0, 21.0, 31.0, 40.0]
    buckets = np.searchsorted(expected, finite, side="left")  # (e_{i-1}, e_i] -> i
    assert tenure.counts == [*np.bincount(buckets, minlength=len(expected) + 1).tolist(), 2]  # 2 nulls
    assert tenure.counts[-2] == 0  # (max, +inf) is empty in training

    contract = stored.features["contract_type"]
    assert contract.categories == ["monthly", "two_year"]  # top 2; annual (9) and weekly (1) are other
    assert contract.counts == [19, 10, 10, 1]

    assert load_bundle(folder).info.transforms == TRANSFORMS, "the bundle survives the baseline write"


def test_the_transformed_split_is_refused_naming_the_missing_raw_column(tables: dict[str, str]) -> None:
    bundle = train_model(tables["features"], tables["features"], SPEC, transforms=TRANSFORMS)
    with pytest.raises(TrainError, match=r"monitoring baseline: .*features\.parquet.*monthly_charges"):
        model_baseline(bundle.info, tables["features"])


def test_the_component_writes_the_baseline_and_the_registry_keeps_it(tables: dict[str, str], tmp_path: Path) -> None:
    model = Model(name="model", uri=str(tmp_path / "model"), metadata={})
    features = Dataset(name="train", uri=tables["features"], metadata={})
    train(
        features,
        features,
        model,
        SPEC.target,
        SPEC.problem_type,
        list(SPEC.numeric_features),
        list(SPEC.categorical_features),
        model_type="linear",
        transforms=TRANSFORMS,
        raw_train_data=Dataset(name="raw", uri=tables["raw"], metadata={}),
        numeric_bins=3,
        top_categories=1,
    )
    assert load_baseline(model.path).features["contract_type"].categories == ["monthly"]
    assert model.metadata["baseline_features"] == ["tenure_months", "monthly_charges", "contract_type", "region"]

    registry = LocalModelRegistry(tmp_path / "registry")
    version = registry.register("churn", model.path, metrics={"auc": 0.7})
    baseline = version_baseline(registry.get_version("churn", version.version))
    assert baseline == load_baseline(model.path) and baseline.numeric_bins == 3
    assert Path(version.bundle_uri, "baseline.json").is_file()
