"""The model bundle: the one format in which a trained model travels from train to serving.

A bundle is a folder (local path or URI) holding
- `model.joblib`: a fitted scikit-learn `Pipeline` whose first step is the fitted feature
  preprocessing and whose last is the estimator, so serving calls it on raw feature columns;
- `bundle.json`: `BundleInfo` (problem, features, classes, hyperparameters, data snapshot, metrics,
  code identity) plus the SHA-256 of `model.joblib`, checked on load;
- `model_card.md`: the human-readable model card (`render_model_card`).

`model.joblib` is a pickle: load bundles only from storage you trust (your own pipeline root or registry).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlops import storage
from mlops.metrics import ProblemType
from mlops.problems import problems

if TYPE_CHECKING:
    import pandas as pd
# pandas, joblib and the pickled model (scikit-learn, LightGBM) are imported only by the calls that
# need them: steps that only read, move or compare bundles start seconds faster without them.

MODEL_FILE, INFO_FILE, CARD_FILE, BUNDLE_FORMAT = "model.joblib", "bundle.json", "model_card.md", 1


class BundleError(Exception):
    """A bundle is missing or corrupt, or cannot score the given rows. The message names the folder or column."""


class BundleInfo(BaseModel):
    """Everything about a model except its fitted weights; stored as `bundle.json`."""

    model_config = ConfigDict(extra="forbid")

    problem_type: ProblemType
    target: str
    numeric_features: list[str]
    categorical_features: list[str]
    model_type: str
    hyperparameters: dict[str, Any] = Field(default_factory=dict)
    classes: list[Any] = Field(default_factory=list)  # classification: labels in predict_proba column order
    transforms: list[dict[str, Any]] = Field(default_factory=list)  # declared feature transforms, as given
    data_snapshot: dict[str, Any] = Field(default_factory=dict)  # rows per split, source URI, fingerprint
    validation_metrics: dict[str, float] = Field(default_factory=dict)
    code: dict[str, str] = Field(default_factory=dict)  # git_commit, image
    environment: dict[str, str] = Field(default_factory=dict)  # library versions the model was fitted with
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def features(self) -> list[str]:
        """All feature columns, numeric first, in the order the pipeline was fitted on."""
        return [*self.numeric_features, *self.categorical_features]


@dataclass
class ModelBundle:
    """A fitted pipeline and its description."""

    pipeline: Any  # sklearn.pipeline.Pipeline
    info: BundleInfo


def save_bundle(bundle: ModelBundle, folder_uri: str) -> None:
    """Write `bundle` to the folder `folder_uri` (local path or URI), replacing any bundle there.

    Locally the files are written to a temporary sibling folder that is renamed into place, so
    readers see the old bundle or the new one. On object stores each file is uploaded atomically and
    `bundle.json` (which carries the model file's checksum) goes last, so a partly written bundle
    never loads.
    """
    import joblib

    buffer = io.BytesIO()
    joblib.dump(bundle.pipeline, buffer, compress=3)
    model_bytes = buffer.getvalue()
    document = {
        "bundle_format": BUNDLE_FORMAT,
        "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
        **bundle.info.model_dump(mode="json"),
    }
    files = {
        MODEL_FILE: model_bytes,
        CARD_FILE: render_model_card(bundle.info).encode(),
        INFO_FILE: (json.dumps(document, indent=2, default=str) + "\n").encode(),  # last: it commits the bundle
    }
    if storage.is_local(folder_uri):
        _save_local(Path(storage.filesystem(folder_uri)[1]), files)
    else:
        for name, data in files.items():
            storage.write_bytes(storage.join(folder_uri, name), data)


@dataclass(frozen=True)
class StoredBundle:
    """A bundle as read from storage and checked (description against model file), not unpickled.

    For steps that only register, copy or compare bundles: two bundles with the same model SHA-256
    hold the same fitted model. `load()` unpickles it (importing scikit-learn and the estimator).
    """

    folder_uri: str
    info: BundleInfo
    model_sha256: str
    model_bytes: bytes

    def load(self) -> ModelBundle:
        import joblib

        try:
            pipeline = joblib.load(io.BytesIO(self.model_bytes))
        except Exception as error:  # unpickling can raise anything
            raise BundleError(f"{self.folder_uri}: cannot load {MODEL_FILE}: {type(error).__name__}: {error}") from None
        if not hasattr(pipeline, "predict"):
            kind = type(pipeline).__name__
            raise BundleError(f"{self.folder_uri}: {MODEL_FILE} holds a {kind}, not a fitted pipeline")
        return ModelBundle(pipeline=pipeline, info=self.info)


def load_bundle(folder_uri: str) -> ModelBundle:
    """Read the bundle in `folder_uri`; raises BundleError naming the folder if it is missing or corrupt."""
    return read_bundle(folder_uri).load()


def read_bundle(folder_uri: str) -> StoredBundle:
    """bundle.json validated and the model file checked against its SHA-256; BundleError names the folder."""
    try:
        document = json.loads(storage.read_bytes(storage.join(folder_uri, INFO_FILE)))
        model_bytes = storage.read_bytes(storage.join(folder_uri, MODEL_FILE))
    except storage.StorageError as error:
        raise BundleError(f"{folder_uri}: not a model bundle: {error}") from None
    except ValueError as error:
        raise BundleError(f"{folder_uri}: {INFO_FILE} is not valid JSON: {error}") from None
    if not isinstance(document, dict) or document.pop("bundle_format", None) != BUNDLE_FORMAT:
        raise BundleError(f"{folder_uri}: {INFO_FILE} is not a bundle description (format {BUNDLE_FORMAT})")
    expected = document.pop("model_sha256", None)
    if hashlib.sha256(model_bytes).hexdigest() != expected:
        raise BundleError(f"{folder_uri}: {MODEL_FILE} does not match the checksum in {INFO_FILE} (corrupt or partial)")
    try:
        info = BundleInfo.model_validate(document)
    except ValidationError as error:
        found = "; ".join(problems(error, show_input=False))
        raise BundleError(f"{folder_uri}: {INFO_FILE}: {found}") from None
    return StoredBundle(folder_uri, info, str(expected), model_bytes)


def predict(bundle: ModelBundle, frame: pd.DataFrame) -> np.ndarray:
    """Predicted labels (classification) or values (regression) for the raw rows in `frame`."""
    return np.asarray(bundle.pipeline.predict(feature_frame(bundle.info, frame)))


def predict_proba(bundle: ModelBundle, frame: pd.DataFrame) -> np.ndarray:
    """Class probabilities, shape (rows, classes), columns in the order of `bundle.info.classes`."""
    if bundle.info.problem_type != "classification":
        raise BundleError(f"predict_proba needs a classification model; this one is {bundle.info.problem_type}")
    return np.asarray(bundle.pipeline.predict_proba(feature_frame(bundle.info, frame)), dtype=float)


def feature_frame(info: BundleInfo, frame: pd.DataFrame) -> pd.DataFrame:
    """The model's feature columns of `frame`, in fitted order, numeric ones as floats.

    Raises BundleError naming missing columns or a numeric column holding non-numbers. Used at
    training and at serving time, so both see features of identical types.
    """
    import pandas as pd

    if missing := [name for name in info.features if name not in frame.columns]:
        raise BundleError(f"missing feature column(s) {missing}; the model needs {info.features}")
    features = frame.loc[:, info.features].copy()
    for name in info.numeric_features:
        column = features[name]
        if not pd.api.types.is_numeric_dtype(column):
            converted = pd.to_numeric(column.astype(object).where(column.notna(), None), errors="coerce")
            bad = converted.isna() & column.notna()
            if bad.any():
                example, count = column[bad].iloc[0], int(bad.sum())
                raise BundleError(f"feature column {name!r} must be numeric; got {example!r} ({count} rows)")
            column = converted
        features[name] = column.astype("float64")
    return features


def categorical_as_text(frame: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Categorical values as text (1, 1.0 and "1" all become "1"); missing values stay NaN.

    The first step of a bundle pipeline's categorical branch, so the fitted pipeline itself maps
    whatever type serving sends to the categories it saw in training.
    """
    import pandas as pd
    from pandas.api.types import infer_dtype

    values = np.asarray(frame, dtype=object)
    if values.ndim != 2:
        return _values_as_text(values)
    result = np.empty(values.shape, dtype=object)
    for j in range(values.shape[1]):
        column = values[:, j]
        if infer_dtype(column, skipna=True) in ("string", "empty"):
            # Text (and missing values) is already what the per-value conversion makes: copied whole,
            # as one Python call per value was most of what batch prediction spent its time on.
            result[:, j] = np.where(pd.isna(column), np.nan, column)
        else:
            result[:, j] = _values_as_text(column)
    return result


def _values_as_text(values: np.ndarray) -> np.ndarray:
    import pandas as pd

    result = np.empty(values.shape, dtype=object)
    for index, value in np.ndenumerate(values):
        whole = isinstance(value, float | np.floating) and float(value).is_integer()
        result[index] = np.nan if pd.isna(value) else str(int(value)) if whole else str(value)
    return result


def _save_local(target: Path, files: dict[str, bytes]) -> None:
    target = target.absolute()
    if target.exists() and not target.is_dir():
        raise BundleError(f"{target}: exists and is not a folder")
    with storage.staging_folder([str(target)], prefix=f".{target.name}.tmp-") as staging:
        staging.chmod(0o755)  # mkdtemp's 0700 would hide the bundle from other users (serving, registry)
        for name, data in files.items():
            with open(staging / name, "wb") as stream:
                stream.write(data)
                os.fsync(stream.fileno())
        _move_into_place(staging, target, files)


def _move_into_place(staging: Path, target: Path, files: dict[str, bytes]) -> None:
    old = target.with_name(f".{target.name}.old-{uuid.uuid4().hex}") if target.exists() else None
    try:
        if old is not None:
            os.rename(target, old)
        os.rename(staging, target)
    except OSError:
        # A filesystem without folder renames (e.g. some FUSE mounts): replace file by file,
        # bundle.json last, so a partial bundle fails its checksum instead of loading.
        if old is not None and old.exists() and not target.exists():
            os.rename(old, target)
        target.mkdir(exist_ok=True)
        for name, data in files.items():
            storage.write_bytes(str(target / name), data)
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def render_model_card(info: BundleInfo, metrics: dict[str, float] | None = None) -> str:
    """The Markdown model card of `info`; `metrics` (e.g. test metrics) get a column of their own."""
    features, snapshot = ", ".join(f"`{name}`" for name in info.features), info.data_snapshot
    lines = [
        f"# Model card: {info.model_type} {info.problem_type} model of `{info.target}`",
        "",
        f"Created {info.created_at}.",
        "",
        "## Model",
        "",
        f"- Problem type: {info.problem_type}" + (f" (classes: {info.classes})" if info.classes else ""),
        f"- Model type: {info.model_type}; target column: `{info.target}`",
        f"- Features ({len(info.features)}): {features}",
        f"- Categorical features: {', '.join(info.categorical_features) or 'none'}",
        f"- Hyperparameters: {_inline(info.hyperparameters) or 'defaults'}",
        f"- Feature transforms: {json.dumps(info.transforms) if info.transforms else 'none'}",
        "",
        "## Data snapshot",
        "",
        *(f"- {key}: {_inline(value) if isinstance(value, dict) else value}" for key, value in snapshot.items()),
        "",
        "## Metrics",
        "",
        "| metric | validation |" + (" test |" if metrics else ""),
        "| --- | --- |" + (" --- |" if metrics else ""),
    ]
    for name in sorted(set(info.validation_metrics) | set(metrics or {})):
        cells = [info.validation_metrics.get(name), *([metrics.get(name)] if metrics else [])]
        lines.append(f"| {name} | " + " | ".join("" if v is None else f"{v:.4f}" for v in cells) + " |")
    identity = {**info.code, **info.environment}
    lines += ["", "## Code and image", "", *(f"- {key}: `{value}`" for key, value in identity.items())]
    return "\n".join(lines) + "\n"


def _inline(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value}" for key, value in mapping.items())
