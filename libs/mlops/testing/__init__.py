"""Test helpers shared by the project's tests, such as a local fake of the Vertex AI REST API."""
