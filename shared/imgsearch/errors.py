"""Errors the product reports to people, each with a message meant to be read."""

from __future__ import annotations


class ImgsearchError(Exception):
    """Base class of the product's own errors."""


class InvalidImage(ImgsearchError):
    """An upload was refused: not an image, a format we do not take, or too large."""

    @classmethod
    def too_large(cls, size: int, max_bytes: int) -> InvalidImage:
        mb = 1024 * 1024
        return cls(f"the file is {size / mb:.1f} MB, over the {max_bytes / mb:.1f} MB limit for one photo")


class NotFound(ImgsearchError):
    """No image has that id."""


class BackendError(ImgsearchError):
    """A back end (describer, embedder, index, database, storage) failed; the work can be retried."""


class DuplicateImage(ImgsearchError):
    """Another image already has this content hash or storage key."""


class Conflict(ImgsearchError):
    """The image is not in a state that allows this (e.g. retrying one that is indexed)."""


class LeaseLost(ImgsearchError):
    """A worker's claim on an image ended (deleted, or taken over as stuck) before it finished."""


MAX_ERROR = 1000


def describe_error(exc: BaseException) -> str:
    """A one-line account of a failure, for the image's status."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if isinstance(exc, InvalidImage):
        text = message
    return text[:MAX_ERROR]
