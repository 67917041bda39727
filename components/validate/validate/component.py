"""KFP v2 wrapper of validate. The logic lives in `validate.splits`; this only maps artifacts to paths.

The function runs in the component's image (built by Pants from this package), which contains
both `validate` and `kfp`. `build_component` binds it to one image reference chosen by the build.
"""

from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Markdown, Output

LOCAL_IMAGE = "vertex-mlops/validate:latest"


def validate(
    train_data: Input[Dataset],
    valid_data: Input[Dataset],
    test_data: Input[Dataset],
    schema: Output[Artifact],
    report: Output[Markdown],
    schema_uri: str = "",
    max_violation_rate: float = 0.0,
    target: str = "",
    problem_type: str = "",
) -> int:
    """Check the train/valid/test splits against a schema; fail with every violation named.

    Args:
        train_data, valid_data, test_data: the splits, one Parquet file each (ingest's outputs).
        schema: output; the schema used, as JSON (components/validate/README.md), stored with the
            run. Written only when every split passes.
        report: output; Markdown report of every split's checks and violations. Always written,
            also when the step fails.
        schema_uri: a schema file (JSON, or YAML by suffix; local path or gs:// URI). Empty: infer
            the schema from train_data.
        max_violation_rate: null-rate, range and category violations fail when they concern more
            than this share of a split's rows (0: any violation fails). Empty splits, missing
            required columns and wrong types always fail.
        target: the label column. Given, every split must have a label in every row (whatever the
            schema and threshold), and the train split at least 2 classes with 5 rows each for
            classification. Empty: no label checks (the step's old behaviour).
        problem_type: "classification" or "regression" (a number); empty: only the null check.

    Returns:
        The number of rows validated, over all three splits.

    Raises:
        DataValidationError: one message naming every failing split, column and value.
    """
    from mlops.logs import configure_step_logging
    from validate.core import Thresholds
    from validate.splits import validate_splits

    configure_step_logging("validate")
    datasets = {"train": train_data.path, "valid": valid_data.path, "test": test_data.path}
    result = validate_splits(
        datasets,
        schema.path,
        report.path,
        schema_uri=schema_uri or None,
        thresholds=Thresholds(max_violation_rate),
        target=target,
        problem_type=problem_type,
    )
    schema.metadata.update({"format": "json", "columns": len(result.schema.columns), "source": result.schema_source})
    warnings = sum(len(r.warnings) for r in result.reports)
    rows = {split: checked.rows for split, checked in zip(datasets, result.reports, strict=True)}
    report.metadata.update({"passed": True, "warnings": warnings, "rows": rows})
    return result.rows


def build_component(image: str = LOCAL_IMAGE):  # - kfp's component type is not public
    """The KFP component for `image`: the content-hash tag Pants built for this commit."""
    return dsl.component(validate, base_image=image, install_kfp_package=False)
