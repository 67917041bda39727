"""Cloud Functions (2nd gen) that start Vertex AI pipeline runs: on a schedule, and when data lands.

Entry points are in `triggers.main`; docs/triggers.md describes them.
"""
