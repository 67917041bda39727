"""Ingest component: reads a source table and writes train/valid/test Parquet datasets."""
