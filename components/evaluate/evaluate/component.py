"""KFP v2 wrapper of evaluate. The logic lives in `evaluate.core` and `evaluate.report`.

The function runs in the component's image, which contains `evaluate`, `mlops` and `kfp`.
`build_component` binds it to one image reference, decided by the build, never hard-coded here.
"""

from kfp import dsl
from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Input, Metrics, Model, Output

LOCAL_IMAGE = "vertex-mlops/evaluate:latest"


def evaluate(
    model: Input[Model],
    test_data: Input[Dataset],
    metrics: Output[Metrics],
    classification_metrics: Output[ClassificationMetrics],
    report: Output[HTML],
    evaluation: Output[Artifact],
) -> float:
    """Score the model bundle on the test split; log metrics, curves and an HTML report.

    Args:
        model: a model bundle folder written by the train component.
        test_data: the test split (Parquet) with the feature and target columns.
        metrics: scalar metrics (auc, precision, recall, f1, log_loss, accuracy | rmse, mae, r2).
        classification_metrics: ROC curve and confusion matrix; left empty for regression.
        report: a self-contained HTML report with plots.
        evaluation: the record the steps that follow read (mlops.contracts.Evaluation:
            `{"problem_type", "metrics", "rows"}`).

    Returns:
        The primary test metric: AUC (classification) or RMSE (regression).
    """
    from evaluate.core import evaluate_model, write_json
    from evaluate.report import write_report
    from mlops.logs import configure_step_logging

    configure_step_logging("evaluate")
    result = evaluate_model(model.path, test_data.path)
    for name, value in result.metrics.items():
        metrics.log_metric(name, value)
    if result.roc:
        classification_metrics.log_roc_curve(result.roc["fpr"], result.roc["tpr"], result.roc["thresholds"])
    if result.confusion:
        classification_metrics.log_confusion_matrix(result.confusion["labels"], result.confusion["matrix"])
    write_report(result, result.info, report.path)
    record = result.record()
    record.write(evaluation.path)
    evaluation.metadata.update(record.to_json())
    # kfp.local never writes these two artifacts' files, and a task whose output file is missing is
    # never a cache hit: write their metadata ourselves (Vertex AI reads the metadata, not the file).
    write_json(metrics.path, dict(metrics.metadata))
    write_json(classification_metrics.path, dict(classification_metrics.metadata))
    return result.primary_metric()


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(evaluate, base_image=image, install_kfp_package=False)
