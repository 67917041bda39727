"""BatchPredict: the step's logic, as plain typed functions (the KFP wrapper and the CLI both call these).

Scaffolded as a step that loads a model bundle (the train step's output) and scores it on a
labelled dataset with `mlops.scoring.score`, the function train, evaluate and champion/challenger
use. Replace the run function and the result type with what the step really does; keep raising
the step's error, with a message naming the file, column or value, for every bad input you foresee.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mlops import storage
from mlops.metrics import PRIMARY_METRIC, MetricError
from mlops.model_bundle import BundleError, load_bundle
from mlops.scoring import score


class BatchPredictError(Exception):
    """Bad input to batch_predict. The message names the file, column or value."""


@dataclass(frozen=True)
class BatchPredictResult:
    problem_type: str
    primary_metric: str
    metrics: dict[str, float]
    rows: int


def read_dataset(uri: str) -> pd.DataFrame:
    """The Parquet dataset at `uri` (a local path or a URI such as gs://); an error names it."""
    fs, path = storage.filesystem(uri)
    try:
        return pq.read_table(path, filesystem=fs).to_pandas()
    except FileNotFoundError:
        raise BatchPredictError(f"{uri}: no such file") from None
    except (OSError, pa.ArrowException) as error:
        raise BatchPredictError(f"{uri}: cannot read as Parquet: {error}") from None


def run_batch_predict(
    model_uri: str,
    data_uri: str,
    output_uri: str,
) -> BatchPredictResult:
    """Score the bundle in `model_uri` on the labelled dataset at `data_uri`; write the result as JSON."""
    try:
        bundle = load_bundle(model_uri)
    except BundleError as error:
        raise BatchPredictError(str(error)) from None
    frame = read_dataset(data_uri)
    if bundle.info.target not in frame.columns:
        columns = ", ".join(frame.columns)
        target = bundle.info.target
        raise BatchPredictError(f"{data_uri}: no target column {target!r}; columns are: {columns}")
    try:
        metrics = score(bundle, frame).metrics
    except (BundleError, MetricError) as error:
        raise BatchPredictError(f"{data_uri}: {error}") from None
    problem_type = bundle.info.problem_type
    result = BatchPredictResult(problem_type, PRIMARY_METRIC[problem_type], metrics, len(frame))
    storage.write_text(output_uri, json.dumps(asdict(result), indent=2))
    return result
