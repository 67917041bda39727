"""`new-component`: writes a new pipeline-step component from a template (docs/adding-a-component.md)."""
