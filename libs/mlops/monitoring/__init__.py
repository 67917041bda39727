"""Model monitoring statistics with Vertex AI Model Monitoring's semantics (docs/monitoring.md).

`baseline`: the histograms fixed at training time; `drift`: a window's counts on those bins and
its scores; `divergences`: the metrics; `config`: the `monitoring:` section; `reference`: the same
scores from in-memory numpy arrays, the engine's test oracle and the benchmark's reference.
"""
