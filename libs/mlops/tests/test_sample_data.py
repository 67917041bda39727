from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from mlops.sample_data import SampleSpec, generate, main


def test_same_seed_same_data_and_chunks_concatenate() -> None:
    whole = generate(SampleSpec(rows=2000, seed=1))
    assert whole.equals(generate(SampleSpec(rows=2000, seed=1)))
    assert not whole.equals(generate(SampleSpec(rows=2000, seed=2)))
    assert generate(SampleSpec(rows=10, seed=1), first_row=50).column("entity_id").to_pylist() == list(range(50, 60))


def test_churn_label_carries_signal() -> None:
    table = generate(SampleSpec(rows=20_000))

    def churn_rate(contract: str) -> float:
        return pc.mean(pc.filter(table.column("churned"), pc.equal(table.column("contract_type"), contract))).as_py()

    assert churn_rate("monthly") > churn_rate("two_year") + 0.2


def test_drift_shifts_distributions_and_bad_rows_appear() -> None:
    clean = generate(SampleSpec(problem="energy", rows=5000))
    drifted = generate(SampleSpec(problem="energy", rows=5000, drift=1.0, bad_row_fraction=0.1))
    assert pc.mean(drifted.column("outdoor_temp_c")).as_py() > pc.mean(clean.column("outdoor_temp_c")).as_py() + 4
    assert clean.column("floor_area_m2").null_count == 0
    assert 50 < drifted.column("floor_area_m2").null_count < 300
    assert "UNKNOWN" in drifted.column("building_type").to_pylist()


@pytest.mark.parametrize("kwargs", [{"rows": 0}, {"problem": "iris"}, {"drift": 2.0}, {"bad_row_fraction": 1.0}])
def test_bad_specs_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        SampleSpec(**kwargs)


def test_cli_writes_parquet_in_chunks(tmp_path: Path) -> None:
    target = tmp_path / "d.parquet"
    assert main([str(target), "--rows", "2500"]) == 0
    assert pq.read_table(target).num_rows == 2500
    assert [p.name for p in tmp_path.iterdir()] == ["d.parquet"]
