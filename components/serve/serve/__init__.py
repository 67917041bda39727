"""Serve component: the model server, a trained model bundle behind Vertex AI's custom-container HTTP contract."""
