"""BatchPredict component: scores a trained model bundle on a dataset (scaffolded: replace this line
with what the step does)."""
