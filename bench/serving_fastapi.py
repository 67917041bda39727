"""The straightforward model server bench/serving.py compares ours against: FastAPI, pandas and the
bundle's pipeline, as a tutorial writes it (same contract: `{"instances": [...]}` of objects in,
`{"predictions": [...]}` in the same shapes out).

    MODEL_DIR=... uvicorn --factory serving_fastapi:create_app
`create_predictor_app` is FastAPI around our Predictor instead, to tell the framework's cost apart.
"""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
from fastapi import FastAPI

from mlops.features import apply_transforms, load_spec
from mlops.model_bundle import feature_frame, load_bundle


def create_app() -> FastAPI:
    """The app serving the bundle in $MODEL_DIR."""
    bundle = load_bundle(os.environ["MODEL_DIR"])
    transforms = bundle.info.transforms
    keys = {"entity_column": "_e", "timestamp_column": "_t"}
    spec = load_spec({**keys, "transforms": transforms}) if transforms else None
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/predict")
    def predict(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        frame = pd.DataFrame(body["instances"])
        features = feature_frame(bundle.info, apply_transforms(frame, spec) if spec else frame)
        if bundle.info.problem_type == "regression":
            return {"predictions": [{"value": float(v)} for v in bundle.pipeline.predict(features)]}
        classes = bundle.info.classes
        return {
            "predictions": [
                {"label": classes[int(row.argmax())], "classes": classes, "scores": [float(p) for p in row]}
                for row in bundle.pipeline.predict_proba(features)
            ]
        }

    return app


def create_predictor_app() -> FastAPI:
    """FastAPI around our Predictor (bench --stacks): what the framework costs, with the same model code."""
    from fastapi.responses import ORJSONResponse

    from mlops.predictor import Predictor

    predictor = Predictor.load(os.environ["MODEL_DIR"])
    app = FastAPI(default_response_class=ORJSONResponse)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/predict")
    async def predict(body: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {"predictions": predictor.predict_instances(body["instances"])}

    return app
