"""Shared library of the vertex-mlops framework: config, storage and logging used by every layer."""
