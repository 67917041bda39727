"""Batch prediction: a table (CSV/Parquet, local or gs://, or BigQuery) scored by a registered model in
chunks, to Parquet or BigQuery."""
