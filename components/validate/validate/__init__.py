"""Validate component: checks each data split against a schema (types, nulls, ranges, categories)."""
