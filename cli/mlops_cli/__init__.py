"""The `mlops` command line: run pipelines locally or on Vertex AI, and inspect runs and lineage."""
