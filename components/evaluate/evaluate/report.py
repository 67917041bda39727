"""The evaluation's HTML report: a Jinja2 template with matplotlib plots embedded as PNG data URIs,
so the file is self-contained and renders in the Vertex console's HTML artifact viewer."""

from __future__ import annotations

import base64
import io
from importlib import resources
from typing import Any

import jinja2
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mlops import storage
from mlops.model_bundle import BundleInfo

from .core import EvaluationResult

TEMPLATE = "report.html.j2"


def render_report(evaluation: EvaluationResult, bundle_info: BundleInfo | None = None) -> str:
    """The report's HTML text: model summary, test (and validation) metrics and plots."""
    info = bundle_info or evaluation.info
    template_text = resources.files("evaluate").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(template_text)
    names = sorted(set(evaluation.metrics) | set(info.validation_metrics if info else {}))
    return template.render(
        evaluation=evaluation,
        info=info,
        metric_rows=[
            (name, evaluation.metrics.get(name), (info.validation_metrics if info else {}).get(name)) for name in names
        ],
        plots=_plots(evaluation),
    )


def write_report(evaluation: EvaluationResult, bundle_info: BundleInfo | None, html_path: str) -> None:
    """Render the report and write it atomically to `html_path` (local path or URI)."""
    storage.write_text(html_path, render_report(evaluation, bundle_info))


def _plots(evaluation: EvaluationResult) -> list[dict[str, str]]:
    plots = []
    if evaluation.roc:
        plots.append({"title": "ROC curve", "src": _png(_roc_figure(evaluation.roc, evaluation.metrics.get("auc")))})
    if evaluation.confusion:
        plots.append({"title": "Confusion matrix", "src": _png(_confusion_figure(evaluation.confusion))})
    if evaluation.sample:
        actual, predicted = np.asarray(evaluation.sample["actual"]), np.asarray(evaluation.sample["predicted"])
        plots.append({"title": "Predicted vs actual", "src": _png(_scatter_figure(actual, predicted))})
        plots.append({"title": "Residuals", "src": _png(_residual_figure(actual - predicted))})
    return plots


def _figure(width: float = 4.5, height: float = 4.5) -> tuple[Figure, Any]:
    """A figure drawn by the Agg backend directly: no pyplot, no global state, no display needed."""
    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure, figure.subplots()


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _roc_figure(roc: dict[str, list[float]], auc: float | None) -> Figure:
    figure, axes = _figure()
    axes.plot(roc["fpr"], roc["tpr"], label=f"model (AUC {auc:.3f})" if auc is not None else "model")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    axes.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.01))
    axes.legend(loc="lower right")
    return figure


def _confusion_figure(confusion: dict[str, Any]) -> Figure:
    labels, matrix = confusion["labels"], np.asarray(confusion["matrix"])
    figure, axes = _figure()
    axes.imshow(matrix, cmap="Blues")
    axes.set(xticks=range(len(labels)), yticks=range(len(labels)), xticklabels=labels, yticklabels=labels)
    axes.set(xlabel="predicted", ylabel="actual")
    for (row, column), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        axes.text(column, row, str(count), ha="center", va="center", color=color)
    return figure


def _scatter_figure(actual: np.ndarray, predicted: np.ndarray) -> Figure:
    figure, axes = _figure()
    axes.scatter(actual, predicted, s=6, alpha=0.5)
    low, high = float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))
    axes.plot([low, high], [low, high], linestyle="--", color="grey")
    axes.set(xlabel="actual", ylabel="predicted")
    return figure


def _residual_figure(residuals: np.ndarray) -> Figure:
    figure, axes = _figure(4.5, 3.5)
    axes.hist(residuals, bins=40)
    axes.axvline(0, linestyle="--", color="grey")
    axes.set(xlabel="actual - predicted", ylabel="rows")
    return figure
