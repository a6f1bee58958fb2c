"""Memory per megapixel of taking a photo in: validate, hash, thumbnail and describe it (the local describer).

Each size and format runs in a fresh process, which first loads the models and takes in a tiny photo;
the photo's cost is how far its peak resident memory rises above the memory in use just before (Linux:
the peak is reset through /proc/self/clear_refs, then read as VmHWM). The slope
over several sizes, per format, is the memory per megapixel that sets Settings.max_pixels (README,
"Limits"). Run by `make bench`, or alone: python scripts/bench_decode.py [MEGAPIXELS ...].
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES_MP = (4, 12, 24, 48)
FORMATS = ("JPEG", "PNG")

CHILD = r"""
import json, resource, sys, time
from imgsearch.describers.local import LocalDescriber
from imgsearch.describers.local.vision.efficientnet import EfficientNetLite0
from imgsearch.describers.local.vision.faces import default_face_detector
from imgsearch.photos import difference_hash, make_thumbnail, validate_photo
from photos import photo

describer = LocalDescriber(None, EfficientNetLite0(), default_face_detector())

def take_in(data):
    validate_photo(data, max_bytes=2**31, max_pixels=10**9, allowed_formats=("JPEG", "PNG"))
    difference_hash(data)
    make_thumbnail(data, 480)
    describer.describe(data, {})

def status_kb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])

take_in(photo(size=(64, 48)))
data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as reset:
    reset.write("5")  # the peak (VmHWM) starts again from what is in use now
before = status_kb("VmRSS")
started = time.perf_counter()
take_in(data)
took = time.perf_counter() - started
after = status_kb("VmHWM")
print(json.dumps({"extra_kb": after - before, "seconds": took}))
"""


def make_photo(megapixels: int, fmt: str) -> bytes:
    """A 4:3 photo of that many megapixels: shapes and a gradient (cheap to encode, costly to decode)."""
    from PIL import Image, ImageDraw

    width = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    height = int(megapixels * 1e6 / width)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for n in range(12):
        x, y = width * n // 12, height * ((n * 5) % 12) // 12
        draw.ellipse((x, y, x + width // 6, y + height // 6), fill=(40 * (n % 6), 120, 255 - 20 * n))
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 85} if fmt == "JPEG" else {"compress_level": 1}))
    return out.getvalue()


def measure(sizes=SIZES_MP) -> dict[str, dict]:
    """{format: {"points": [(megapixels, extra MB, seconds)], "mb_per_mp": slope}}."""
    root = Path(__file__).resolve().parent.parent
    env_path = str(root / "tests")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in FORMATS:
            points = []
            for megapixels in sizes:
                path = Path(tmp) / f"{megapixels}.{fmt.lower()}"
                path.write_bytes(make_photo(megapixels, fmt))
                done = subprocess.run(
                    [sys.executable, "-c", CHILD, str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={"PYTHONPATH": env_path, "PATH": ""},
                )
                found = json.loads(done.stdout.strip().splitlines()[-1])
                points.append((megapixels, found["extra_kb"] / 1024, found["seconds"]))
            results[fmt] = {"points": points, "mb_per_mp": _slope(points)}
    return results


def _slope(points: list[tuple[float, float, float]]) -> float:
    """Least-squares slope of extra memory (MB) over megapixels."""
    n = len(points)
    mean_x = sum(p[0] for p in points) / n
    mean_y = sum(p[1] for p in points) / n
    top = sum((p[0] - mean_x) * (p[1] - mean_y) for p in points)
    bottom = sum((p[0] - mean_x) ** 2 for p in points)
    return top / bottom if bottom else 0.0


def main() -> None:
    sizes = tuple(int(a) for a in sys.argv[1:]) or SIZES_MP
    started = time.perf_counter()
    results = measure(sizes)
    for fmt, found in results.items():
        for megapixels, extra, seconds in found["points"]:
            print(f"{fmt:>4} {megapixels:>3} MP: +{extra:6.0f} MB peak, {seconds:5.2f} s")
        print(f"{fmt:>4}: {found['mb_per_mp']:.1f} MB per megapixel")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
