"""Offline image classification and visual embeddings (EfficientNet-Lite0 in numpy or onnxruntime)."""
