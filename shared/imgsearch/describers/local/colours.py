"""The main colours of a photo, named the way people name them, weighted by what draws the eye.

Each pixel of a small copy is placed in OKLCh (perceptual lightness, chroma and hue) and named by
rules that follow how people use colour words: a dim, dusty green is still "green", dark orange is
"brown", light red is "pink", dark blue is "navy blue"; only colours with almost no chroma are
greys. Nearest-neighbour matching against a few dozen swatches does worse at exactly these cases
(foliage came out "dark grey", an orange spacesuit "red"), because people are far more generous
with hue names than a distance in colour space is.

Pixels count by salience: more near the centre of the frame and more when colourful, so a red coat
on a grey street is named, and a plain backdrop does not drown the subject.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

SAMPLE_PX = 96
MIN_SHARE = 0.08
MAX_COLOURS = 4
MOSTLY = 0.35  # the first colour is "mostly" only when it holds this much of the (weighted) photo

# Chroma below this is grey (OKLab chroma; neutral greys are 0, pale sky blue ~0.03, foliage ~0.08).
GREY_CHROMA = 0.035
# Coloured pixels count up to this many times more than grey ones (see the module docstring).
CHROMA_BOOST = 2.0
CENTRE_SIGMA = 0.35  # of the frame's half-diagonal

# Each name and the basic colour term it belongs to (for filters: "blue" finds navy and sky blue).
BASIC: dict[str, str] = {
    "black": "black",
    "dark grey": "grey",
    "grey": "grey",
    "light grey": "grey",
    "white": "white",
    "red": "red",
    "dark red": "red",
    "pink": "pink",
    "magenta": "pink",
    "orange": "orange",
    "brown": "brown",
    "tan": "brown",
    "beige": "brown",
    "yellow": "yellow",
    "olive green": "green",
    "green": "green",
    "dark green": "green",
    "light green": "green",
    "teal": "blue",
    "turquoise": "blue",
    "light blue": "blue",
    "blue": "blue",
    "navy blue": "blue",
    "purple": "purple",
    "lavender": "purple",
}
NAMES = tuple(BASIC)


@dataclass(frozen=True)
class Colour:
    """One of a photo's main colours: its name, basic term, weighted share and a typical sRGB value."""

    name: str
    basic: str
    share: float
    rgb: tuple[int, int, int]

    def to_dict(self) -> dict:
        hex_rgb = "#" + "".join(f"{v:02x}" for v in self.rgb)
        return {"name": self.name, "basic": self.basic, "share": self.share, "hex": hex_rgb}


def dominant_colours(image: Image.Image, *, max_colours: int = MAX_COLOURS) -> list[Colour]:
    """The main colours, largest (weighted) share first; each holds at least MIN_SHARE of the photo."""
    small = image.convert("RGB")
    small.thumbnail((SAMPLE_PX, SAMPLE_PX), Image.Resampling.BILINEAR)
    rgb = np.asarray(small, dtype=np.float32).reshape(-1, 3)
    lightness, chroma, hue = oklch(rgb)
    names = name_pixels(lightness, chroma, hue)
    weights = _salience(small.height, small.width, chroma)
    total = float(weights.sum()) or 1.0
    colours: list[Colour] = []
    for index in np.argsort(-np.bincount(names, weights=weights, minlength=len(NAMES))):
        mask = names == index
        share = float(weights[mask].sum()) / total
        if share < MIN_SHARE or len(colours) == max_colours:
            break
        typical = np.median(rgb[mask], axis=0)
        name = NAMES[index]
        colours.append(Colour(name, BASIC[name], round(share, 3), tuple(int(v) for v in typical)))
    return colours


def colour_sentence(colours: list[Colour]) -> str | None:
    """'Colours: mostly orange, with white and navy blue.' (or without 'mostly' when none dominates)."""
    if not colours:
        return None
    names = [c.name for c in colours]
    if len(names) == 1:
        return f"Colours: {names[0]}."
    if colours[0].share >= MOSTLY:
        return f"Colours: mostly {names[0]}, with {_join(names[1:])}."
    return f"Colours: {_join(names)}."


def name_of(rgb: tuple[int, int, int]) -> str:
    """The colour word for one sRGB value."""
    lightness, chroma, hue = oklch(np.asarray([rgb], dtype=np.float32))
    return NAMES[int(name_pixels(lightness, chroma, hue)[0])]


def oklch(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lightness (0–1), chroma and hue (degrees) in OKLab (Björn Ottosson, 2020) of (N, 3) sRGB 0–255."""
    c = rgb / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lms = linear @ _RGB_TO_LMS.T
    lab = np.cbrt(lms) @ _LMS_TO_LAB.T
    a, b = lab[:, 1], lab[:, 2]
    return lab[:, 0], np.hypot(a, b), np.degrees(np.arctan2(b, a)) % 360


def name_pixels(lightness: np.ndarray, chroma: np.ndarray, hue: np.ndarray) -> np.ndarray:
    """The index into NAMES of each pixel's colour word."""
    out = np.empty(lightness.shape, dtype=np.int64)
    idx = {name: i for i, name in enumerate(NAMES)}
    grey = chroma < GREY_CHROMA
    # Very dark pixels read as black unless strongly coloured (a navy coat is still navy).
    grey |= (lightness < 0.22) & (chroma < 0.06)
    out[:] = idx["grey"]
    greys = [(0.25, "black"), (0.45, "dark grey"), (0.70, "grey"), (0.88, "light grey"), (9.0, "white")]
    low = -1.0
    for high, name in greys:
        out[grey & (lightness >= low) & (lightness < high)] = idx[name]
        low = high
    colour = ~grey
    L, C, h = lightness, chroma, hue

    def put(mask: np.ndarray, name: str) -> None:
        out[colour & mask] = idx[name]

    reds = (h >= 345) | (h < 35)
    put(reds, "red")
    put(reds & (L < 0.45), "dark red")
    put(reds & (L >= 0.75), "pink")
    oranges = (h >= 35) & (h < 75)
    put(oranges, "orange")
    put(oranges & (C < 0.12), "tan")
    put(oranges & (C < 0.12) & (L >= 0.80), "beige")
    put(oranges & (L < 0.58), "brown")
    yellows = (h >= 75) & (h < 120)
    put(yellows, "yellow")
    put(yellows & (C < 0.09), "beige")
    put(yellows & (L < 0.62), "olive green")
    put(yellows & (L < 0.62) & (C < 0.07) & (h < 95), "brown")
    greens = (h >= 120) & (h < 175)
    put(greens, "green")
    put(greens & (L < 0.40), "dark green")
    put(greens & (L >= 0.80), "light green")
    cyans = (h >= 175) & (h < 215)
    put(cyans, "turquoise")
    put(cyans & (L < 0.65), "teal")
    blues = (h >= 215) & (h < 285)
    put(blues, "blue")
    put(blues & (L < 0.40), "navy blue")
    put(blues & (L >= 0.75), "light blue")
    purples = (h >= 285) & (h < 345)
    put(purples, "purple")
    put(purples & (L >= 0.72), "lavender")
    put(purples & (L >= 0.62) & (C >= 0.15), "magenta")
    put(purples & (h >= 330) & (L >= 0.62), "pink")
    return out


def _salience(height: int, width: int, chroma: np.ndarray) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    dy = (ys + 0.5) / height - 0.5
    dx = (xs + 0.5) / width - 0.5
    distance2 = (dx * dx + dy * dy).reshape(-1) / 0.5
    centre = 0.5 + 0.5 * np.exp(-distance2 / (2 * CENTRE_SIGMA**2))
    colourful = 1.0 + CHROMA_BOOST * np.clip(chroma / 0.15, 0.0, 1.0)
    return centre * colourful


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


_RGB_TO_LMS = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ],
    dtype=np.float64,
)
_LMS_TO_LAB = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ],
    dtype=np.float64,
)
