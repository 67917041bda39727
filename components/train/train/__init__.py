"""Train component: fits a preprocessing + model pipeline and writes it as a model bundle."""
