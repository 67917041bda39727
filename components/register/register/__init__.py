"""Register component: champion/challenger against the registry's default version, then registration."""
