"""Sample photos for a first run: real photographs that ship inside scikit-image's wheel.

`make install` installs scikit-image with --no-deps as a carrier of these files only (it is never
imported: the files are found through the installed package's location, and nothing is downloaded).
Each is free to use: CC0 or public domain, as scikit-image's own documentation of them says.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "skimage"
DISTRIBUTION = "scikit-image"
INSTALL_HINT = f"pip install --no-deps {DISTRIBUTION}"


@dataclass(frozen=True)
class SamplePhoto:
    """One sample photo: its file in the installed package, and who made it, under what terms."""

    filename: str
    credit: str
    path: Path | None = None


SAMPLES = (
    SamplePhoto("astronaut.png", "Eileen Collins, NASA; public domain"),
    SamplePhoto("chelsea.png", "Chelsea the cat, Stefan van der Walt; CC0"),
    SamplePhoto("coffee.png", "Rachel Michetti, Pikolo Espresso Bar; CC0"),
    SamplePhoto("rocket.jpg", "DSCOVR launch, SpaceX; public domain"),
    SamplePhoto("camera.png", "Lav Varshney; CC0"),
    SamplePhoto("coins.png", "Greek coins from Pompeii, Brooklyn Museum; no known copyright restrictions"),
    SamplePhoto("hubble_deep_field.jpg", "Hubble eXtreme Deep Field, NASA; public domain"),
)


def sample_photos() -> list[SamplePhoto]:
    """The sample photos that are installed here (none when scikit-image is not)."""
    spec = importlib.util.find_spec(PACKAGE)  # a top-level find_spec imports nothing
    if spec is None or not spec.submodule_search_locations:
        return []
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    found = []
    for sample in SAMPLES:
        path = folder / sample.filename
        if path.is_file():
            found.append(SamplePhoto(sample.filename, sample.credit, path))
    return found
