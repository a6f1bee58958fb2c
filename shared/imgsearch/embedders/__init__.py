"""Embedders: text to unit vectors (local MiniLM in numpy, Cohere Embed on Bedrock)."""
