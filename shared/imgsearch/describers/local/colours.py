"""Dominant colours of a photo, named in the words people search with."""

from __future__ import annotations

from PIL import Image

# Everyday colour names and a typical sRGB value for each.
PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 20),
    "dark grey": (70, 70, 70),
    "grey": (128, 128, 128),
    "light grey": (195, 195, 195),
    "white": (245, 245, 245),
    "red": (205, 35, 35),
    "dark red": (120, 15, 20),
    "pink": (245, 160, 190),
    "magenta": (200, 30, 170),
    "orange": (245, 135, 20),
    "peach": (250, 200, 160),
    "brown": (120, 70, 35),
    "tan": (200, 165, 115),
    "beige": (230, 215, 180),
    "yellow": (245, 215, 40),
    "gold": (205, 165, 50),
    "olive": (120, 120, 30),
    "light green": (150, 220, 130),
    "green": (50, 150, 50),
    "dark green": (20, 80, 35),
    "teal": (0, 125, 125),
    "turquoise": (60, 210, 200),
    "sky blue": (130, 195, 235),
    "blue": (35, 85, 210),
    "navy blue": (20, 30, 90),
    "purple": (115, 45, 150),
    "lavender": (185, 165, 225),
}

MIN_SHARE = 0.08
MAX_COLOURS = 4


def dominant_colours(image: Image.Image, *, max_colours: int = MAX_COLOURS) -> list[tuple[str, float]]:
    """(name, share of the photo) for the main colours, largest first."""
    small = image.convert("RGB")
    small.thumbnail((96, 96))
    quantized = small.quantize(colors=12, method=Image.Quantize.MEDIANCUT)
    palette = quantized.getpalette() or []
    counts = quantized.getcolors() or []
    total = sum(count for count, _ in counts) or 1
    shares: dict[str, float] = {}
    for count, index in counts:
        rgb = tuple(palette[index * 3 : index * 3 + 3])
        name = nearest_name(rgb)  # type: ignore[arg-type]
        shares[name] = shares.get(name, 0.0) + count / total
    ranked = sorted(shares.items(), key=lambda item: item[1], reverse=True)
    return [(name, round(share, 3)) for name, share in ranked if share >= MIN_SHARE][:max_colours]


def colour_sentence(colours: list[tuple[str, float]]) -> str | None:
    """'Colours: mostly red, with grey and white.'"""
    if not colours:
        return None
    names = [name for name, _ in colours]
    if len(names) == 1:
        return f"Colours: {names[0]}."
    rest = names[1:]
    tail = rest[0] if len(rest) == 1 else ", ".join(rest[:-1]) + " and " + rest[-1]
    return f"Colours: mostly {names[0]}, with {tail}."


def nearest_name(rgb: tuple[int, int, int]) -> str:
    """The palette name closest to rgb in CIELAB space."""
    lab = _lab(rgb)
    return min(_PALETTE_LAB, key=lambda name: _distance(lab, _PALETTE_LAB[name]))


def _distance(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2


def _lab(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


_PALETTE_LAB = {name: _lab(rgb) for name, rgb in PALETTE.items()}
