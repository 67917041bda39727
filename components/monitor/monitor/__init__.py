"""Monitor component: skew, drift and serving health of a registered version over a window of its request log."""
