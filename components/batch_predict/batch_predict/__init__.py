"""Batch prediction component: a table (CSV/Parquet, local or gs://) scored by a registered model, in chunks."""
