"""The training pipeline: data to a registered model."""
