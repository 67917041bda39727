"""The monitoring pipeline: skew, drift and serving health of a registered version over a serving window."""
