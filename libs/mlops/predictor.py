"""Online and batch prediction from a model bundle, without DuckDB or pandas on the request path.

    predictor = Predictor.load("gs://bucket/models/churn/v3")     # or a local folder
    predictor.predict_instances([{"tenure_months": 3, "contract_type": "monthly", ...}])
    # [{"label": 1, "classes": [0, 1], "scores": [0.27, 0.73]}]    regression: [{"value": 12.5}]

The bundle's model file is checked against its SHA-256 (`read_bundle`) before it is unpickled.
The declared feature transforms and the fitted preprocessing are compiled into numpy operations
(mlops.fast_features, mlops.fast_preprocess) and the estimator is called directly
(mlops.fast_model); the results equal `apply_transforms` + `feature_frame` + the pipeline's
predict/predict_proba on the same rows (libs/mlops/tests/test_predictor.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mlops.fast_features import FeaturePlan, compile_features
from mlops.fast_model import CompiledModel, compile_model
from mlops.features import FeatureError
from mlops.instances import InstanceError, columns_of_frame, columns_of_instances
from mlops.model_bundle import BundleError, BundleInfo, StoredBundle, read_bundle

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

__all__ = ["BundleError", "InstanceError", "Predictions", "Predictor"]


@dataclass(frozen=True)
class Predictions:
    """Predictions of a batch of rows, as arrays.

    Classification: `labels` (object array) and `scores` (rows, classes) in the order of `classes`.
    Regression: `values` (float array); `labels` and `scores` are None.
    """

    classes: list[Any]
    labels: np.ndarray | None
    scores: np.ndarray | None
    values: np.ndarray | None

    def to_dicts(self) -> list[dict[str, Any]]:
        """Vertex AI style: `{"label", "classes", "scores"}` or `{"value"}` per row, plain Python values."""
        if self.values is not None:
            return [{"value": value} for value in self.values.tolist()]
        assert self.labels is not None and self.scores is not None
        classes = self.classes
        return [
            {"label": label, "classes": classes, "scores": scores}
            for label, scores in zip(self.labels.tolist(), self.scores.tolist(), strict=True)
        ]


class Predictor:
    """A loaded, checked model bundle that predicts raw rows (see the module docstring).

    Attributes:
        info: the bundle's description (problem type, features, classes, transforms).
        model_sha256: the SHA-256 of the model file, checked on load: the model's identity.
        input_columns: the raw columns the model reads, in the order list instances use.
        input_kinds: column -> "number", "category" or "timestamp" (what each column must hold).
        compiled: the parts that run as compiled array operations ("preprocess", "estimator").
    """

    def __init__(self, stored: StoredBundle) -> None:
        """Unpickle the checked bundle `stored` and compile it; BundleError names the folder."""
        bundle = stored.load()
        self.info: BundleInfo = bundle.info
        self.model_sha256 = stored.model_sha256
        self.pipeline = bundle.pipeline
        try:
            self._plan: FeaturePlan = compile_features(bundle.info)
        except (FeatureError, ValueError) as error:
            raise BundleError(f"{stored.folder_uri}: feature transforms: {error}") from None
        classification = bundle.info.problem_type == "classification"
        try:
            self._model: CompiledModel = compile_model(bundle.pipeline, bundle.info.features, classification)
        except (AttributeError, IndexError, TypeError) as error:  # not the pipeline shape bundles have
            raise BundleError(f"{stored.folder_uri}: cannot use the pipeline: {error}") from None
        self.input_kinds = dict(self._plan.inputs)
        self.input_columns = list(self._plan.inputs)
        self.compiled = self._model.compiled
        self._classes = list(bundle.info.classes)
        self._labels = np.array(self._classes, dtype=object)

    @classmethod
    def load(cls, folder_uri: str) -> Predictor:
        """The predictor of the bundle in `folder_uri` (local folder or URI such as gs://).

        Raises BundleError naming the folder if the bundle is missing, its model file does not match
        its checksum (tampered or partial), or it cannot be loaded; nothing is unpickled before the check.
        """
        return cls(read_bundle(folder_uri))

    def predict_instances(self, instances: Any) -> list[dict[str, Any]]:
        """Vertex AI style predictions for `instances`: a list of objects (column -> value) or of
        lists (values in `input_columns` order).

        Raises InstanceError (with the instance index and field) for an empty or non-list
        `instances`, a non-object instance, a missing or extra field, or a value of the wrong type.
        """
        columns = columns_of_instances(instances, self.input_columns, self.input_kinds)
        return self._predict(columns).to_dicts()

    def predict_frame(self, frame: pd.DataFrame | pa.RecordBatch | pa.Table) -> Predictions:
        """Predictions for the rows of a pandas DataFrame or a pyarrow RecordBatch/Table (batch use).

        Columns other than `input_columns` are ignored. Raises InstanceError naming the row and
        column of a missing column or a value of the wrong type.
        """
        if not hasattr(frame, "iloc"):
            frame = frame.to_pandas()
        columns = columns_of_frame(frame, self.input_columns, self.input_kinds)
        return self._predict(columns)

    def _predict(self, columns: dict[str, np.ndarray]) -> Predictions:
        scores = self._model.predict(self._plan.compute(columns))
        if self.info.problem_type == "regression":
            return Predictions([], None, None, np.asarray(scores, dtype=np.float64).reshape(-1))
        return Predictions(self._classes, self._labels[np.argmax(scores, axis=1)], scores, None)
