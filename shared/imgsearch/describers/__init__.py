"""Describers: look at a photo and say what is in it (local signals, Bedrock, OpenAI-compatible)."""
