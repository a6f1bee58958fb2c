"""Real photographs that ship inside PyPI wheels, for tests (installed with `make dev`, --no-deps).

Each is located through its package without importing it (find_spec), and a missing package skips
the test with the line that installs it. Licences: scikit-image's astronaut, rocket (NASA, SpaceX:
public domain), camera, chelsea, coffee (CC0); matplotlib's grace_hopper (US Navy: public domain);
scikit-learn's china and flower (CC BY 2.0). See the README's "Sample photos".
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import pytest
from PIL import Image, ImageOps

# Import name -> the distribution that ships it.
DISTRIBUTIONS = {"skimage": "scikit-image", "matplotlib": "matplotlib", "sklearn": "scikit-learn"}
PHOTOS = {
    "astronaut": ("skimage", "data/astronaut.png"),  # one woman in an orange spacesuit
    "camera": ("skimage", "data/camera.png"),  # a photographer behind a camera on a tripod
    "cat": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"),
    "rocket": ("skimage", "data/rocket.jpg"),
    "uniform": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),  # a woman in uniform
    "temple": ("sklearn", "datasets/images/china.jpg"),  # a pagoda above a lake
    "flower": ("sklearn", "datasets/images/flower.jpg"),
}


def path(name: str) -> Path:
    """The installed file of a named photo (skips the test when its package is missing)."""
    package, relative = PHOTOS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        dist = DISTRIBUTIONS[package]
        pytest.skip(f"{dist} is not installed (make dev, or pip install --no-deps {dist})")
    found = Path(next(iter(spec.submodule_search_locations))) / relative
    if not found.is_file():
        pytest.skip(f"{found} is missing from the installed {DISTRIBUTIONS[package]}")
    return found


def data(name: str) -> bytes:
    return path(name).read_bytes()


def load(name: str) -> Image.Image:
    with Image.open(path(name)) as image:
        image.load()
        return image.convert("RGB")


def side_by_side(parts: list[tuple[Image.Image, int]], height: int = 512) -> Image.Image:
    """Photos scaled to the given heights, left to right, bottom-aligned on white."""
    scaled = [im.convert("RGB").resize((round(im.width * h / im.height), h)) for im, h in parts]
    canvas = Image.new("RGB", (sum(im.width for im in scaled), height), (255, 255, 255))
    x = 0
    for im in scaled:
        canvas.paste(im, (x, height - im.height))
        x += im.width
    return canvas


def two_people() -> Image.Image:
    return side_by_side([(load("astronaut"), 512), (load("uniform"), 512)])


def three_people() -> Image.Image:
    uniform = load("uniform")
    return side_by_side([(load("astronaut"), 512), (uniform, 512), (ImageOps.mirror(uniform), 435)])


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()
