"""Notify component: reports how a pipeline run ended (exit handler of every pipeline)."""
