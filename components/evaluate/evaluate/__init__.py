"""Evaluate component: scores a model bundle on the test split; metrics, curves and an HTML report."""
