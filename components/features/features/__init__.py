"""Features component: declared transforms -> feature store -> point-in-time correct training sets."""
