"""Checking that bytes are a photo we take, and making the smaller copies we need."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from imgsearch.decodes import decoding
from imgsearch.errors import InvalidImage
from imgsearch.formats import FORMATS

MEDIA_TYPES = {name: f.media_type for name, f in FORMATS.items()}
EXTENSIONS = {name: f.extension for name, f in FORMATS.items()}


@dataclass(frozen=True)
class PhotoInfo:
    """What validation learned of a photo."""

    format: str
    content_type: str
    extension: str
    width: int
    height: int


def validate_photo(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    allowed_formats: tuple[str, ...],
) -> PhotoInfo:
    """Return the photo's format and size, or raise InvalidImage saying what is wrong."""
    if not data:
        raise InvalidImage("the file is empty")
    if len(data) > max_bytes:
        raise InvalidImage.too_large(len(data), max_bytes)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = (probe.format or "").upper()
            width, height = probe.size
            if probe.getexif().get(0x0112, 1) in (5, 6, 7, 8):  # stored turned a quarter
                width, height = height, width
    except UnidentifiedImageError:
        raise InvalidImage("not an image (its contents are not a format we can read)") from None
    except Image.DecompressionBombError:
        raise InvalidImage(f"the image has too many pixels (limit {max_pixels:,})") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise InvalidImage(f"the image is damaged or truncated ({exc})") from None
    if fmt not in allowed_formats:
        allowed = ", ".join(f.replace("WEBP", "WebP") for f in allowed_formats)
        raise InvalidImage(f"{fmt or 'this'} images are not accepted (allowed: {allowed})")
    if width * height > max_pixels:
        raise InvalidImage(
            f"the image is {width}x{height} pixels, over the {max_pixels // 1_000_000} megapixel limit"
        )
    try:
        # verify() checks structure; a decode catches truncated pixel data (JPEG at 1/8 scale:
        # every byte is still read, for an eighth of the memory in each direction).
        with Image.open(io.BytesIO(data)) as checked:
            checked.verify()
        with decoding(), Image.open(io.BytesIO(data)) as decoded:
            decoded.draft(decoded.mode, (max(1, width // 8), max(1, height // 8)))
            decoded.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidImage(f"the image is damaged or truncated ({exc})") from None
    return PhotoInfo(fmt, MEDIA_TYPES[fmt], EXTENSIONS[fmt], width, height)


def open_upright(data: bytes, max_side: int | None = None) -> Image.Image:
    """Decode a photo, turned the way its camera meant (EXIF orientation applied).

    With max_side, its long edge is at most that: a JPEG is decoded at a reduced scale (1/2, 1/4,
    1/8) and never whole, other formats are decoded and then reduced.
    """
    with decoding():
        return _decode(data, max_side)


def _decode(data: bytes, max_side: int | None) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    if max_side:
        width, height = image.size
        scale = max_side / max(width, height, 1)
        if scale < 1:  # the smallest DCT scale still at least this size
            image.draft(image.mode, (math.ceil(width * scale), math.ceil(height * scale)))
    image.load()
    ImageOps.exif_transpose(image, in_place=True)  # in place: no second copy of every pixel
    if max_side and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return image


def make_thumbnail(data: bytes, max_px: int) -> bytes:
    """A JPEG no larger than max_px on its long edge, for the gallery."""
    image = open_upright(data, max_px)
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def downscale(data: bytes, long_edge: int, max_pixels: int | None = None) -> tuple[bytes, str]:
    """The photo with its long edge at most long_edge pixels (and at most max_pixels in all), in its
    own format where we can keep it."""
    with Image.open(io.BytesIO(data)) as probe:
        fmt = (probe.format or "JPEG").upper()
        width, height = probe.size
    small = max_pixels is None or width * height <= max_pixels
    if max(width, height) <= long_edge and small and fmt in MEDIA_TYPES:
        return data, MEDIA_TYPES[fmt]
    side = max(scaled_size((width, height), long_edge, max_pixels))
    image = open_upright(data, side)
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
    if fmt == "WEBP":
        image.save(out, "WEBP", quality=90)
        return out.getvalue(), "image/webp"
    if fmt == "GIF":
        # A large (maybe animated) GIF is sent as its first frame, still a GIF: models see one frame.
        image.save(out, "GIF")
        return out.getvalue(), "image/gif"
    if image.mode not in ("RGB", "L"):
        image = _flatten(image)
    image.save(out, "JPEG", quality=90)
    return out.getvalue(), "image/jpeg"


def scaled_size(size: tuple[int, int], long_edge: int, max_pixels: int | None = None) -> tuple[int, int]:
    """The size downscale gives a photo of this size: long edge and pixel count within bounds."""
    width, height = size
    scale = min(1.0, long_edge / max(width, height))
    if max_pixels is not None:
        scale = min(scale, math.sqrt(max_pixels / (width * height)))
    side = max(1, int(max(width, height) * scale))
    # Pillow rounds the short side either way: step down until even rounded up it keeps to the budget.
    short, long = min(width, height), max(width, height)
    while max_pixels is not None and side > 1 and side * math.ceil(side * short / long) > max_pixels:
        side -= 1
    other = max(1, math.ceil(side * short / long))
    return (side, other) if width >= height else (other, side)


def _flatten(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def difference_hash(data: bytes) -> str:
    """A 64-bit perceptual hash (dHash) as 16 hex digits: resized or recompressed copies differ in
    only a few bits, different photos in about half of them."""
    with decoding(), Image.open(io.BytesIO(data)) as image:
        image.draft("L", (64, 64))  # JPEG: decode at reduced size, cheaply
        ImageOps.exif_transpose(image, in_place=True)
        grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = grey.tobytes()  # one byte per pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"


def hash_is_informative(phash: str, least: int = 6) -> bool:
    """Whether a perceptual hash says anything: a flat or evenly shaded photo hashes to (nearly) all
    zeros or all ones whatever its colour, so two of them are alike without being copies."""
    ones = int(phash, 16).bit_count()
    return least <= ones <= 64 - least
