"""imgsearch: describe photos, embed the descriptions, search them by free text."""

__version__ = "0.1.0"
