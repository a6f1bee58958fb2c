"""The photo formats imgsearch takes: one table for validation, storage keys and browser uploads.

Kept free of Pillow so the web Lambda can check an upload's type without decoding images.
"""

from __future__ import annotations

from typing import NamedTuple


class PhotoFormat(NamedTuple):
    media_type: str
    extension: str  # of the storage key
    suffixes: tuple[str, ...]  # file names people give such files


FORMATS: dict[str, PhotoFormat] = {
    "JPEG": PhotoFormat("image/jpeg", "jpg", (".jpg", ".jpeg", ".jpe", ".jfif")),
    "PNG": PhotoFormat("image/png", "png", (".png",)),
    "WEBP": PhotoFormat("image/webp", "webp", (".webp",)),
    "GIF": PhotoFormat("image/gif", "gif", (".gif",)),
}
