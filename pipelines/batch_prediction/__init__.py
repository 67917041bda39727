"""The batch prediction pipeline: a table scored by a registered model, predictions to Parquet."""
