"""The drift benchmark's Evidently contender, run as its own PEX (bench:drift-evidently, resolve `evidently`).

    python drift_evidently.py TRAINING_DIR EARLIER_DIR RECENT_DIR NUMERIC,... CATEGORICAL,...

Evidently's data-drift preset as its users run it: the tables read whole into pandas, then one
Report for skew (training as reference, the whole serving table as current) and one for drift
(earlier half against recent half), Jensen-Shannon for both kinds of feature with threshold 0.3.
Prints one JSON line: seconds (reading included), peak RSS (VmHWM) and every column's score.
It imports nothing from the project: it lives in another resolve.
"""

from __future__ import annotations

import json
import os
import sys
import time


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return round(int(line.split()[1]) / 1024, 1)


def column_scores(snapshot: object) -> dict[str, float]:
    """{column: score} from a snapshot's ValueDrift metrics (the preset's per-column results)."""
    scores = {}
    for metric in snapshot.dict()["metrics"]:  # type: ignore[attr-defined]
        config = metric["config"]
        if config.get("type", "").endswith("ValueDrift"):
            scores[config["column"]] = float(metric["value"])
    return scores


def main() -> int:
    training, earlier, recent, numeric, categorical = sys.argv[1:6]
    # Evidently sends usage telemetry over the network unless told not to (evidently/telemetry.py).
    os.environ["DO_NOT_TRACK"] = os.environ["ITERATIVE_DO_NOT_TRACK"] = "1"
    started = time.perf_counter()
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=numeric.split(","), categorical_columns=categorical.split(","))
    frames = {name: pd.read_parquet(folder) for name, folder in (("t", training), ("e", earlier), ("r", recent))}
    serving = pd.concat([frames["e"], frames["r"]], ignore_index=True)

    def report(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, float]:
        preset = DataDriftPreset(num_method="jensenshannon", cat_method="jensenshannon", threshold=0.3)
        snapshot = Report([preset]).run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
        return column_scores(snapshot)

    result = {"skew": report(frames["t"], serving), "drift": report(frames["e"], frames["r"])}
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "peak_rss_mib": peak_rss_mib(), "scores": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
