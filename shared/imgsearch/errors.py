"""Errors the product reports to people, each with a message meant to be read."""


class ImgsearchError(Exception):
    """Base class of the product's own errors."""


class InvalidImage(ImgsearchError):
    """An upload was refused: not an image, a format we do not take, or too large."""


class NotFound(ImgsearchError):
    """No image has that id."""


class BackendError(ImgsearchError):
    """A back end (describer, embedder, index, database, storage) failed; the work can be retried."""


class DuplicateImage(ImgsearchError):
    """Another image already has this content hash or storage key."""
