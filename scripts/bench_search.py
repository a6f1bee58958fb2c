"""Search latency at scale: end to end through SearchService.find, next to the floor, in one run.

For each size a synthetic library is built on disk the way the product stores one (image rows with
their search text in SQLite, FTS5 kept by the real triggers, label facets; vectors in the local
index's SQLite file), but in bulk: descriptions are drawn from a vocabulary of everyday words so
that keyword frequencies look like a photo library's, and vectors are random unit vectors (their
number and size are what costs time, not their values). Then the real query path runs: the query
is parsed and embedded (all-MiniLM-L6-v2), the index is searched, keywords and their WordNet
synonyms are looked up in FTS5, evidence is fused, the cut-off applied, filters and date words
used. The floor is one numpy matrix-vector product plus argpartition over the same matrix.

    python scripts/bench_search.py                  # 10k, 100k and 1M photos
    BENCH_SEARCH_SIZES=10000,100000 python scripts/bench_search.py

Used by scripts/bench.py (make bench); prints its own rows when run alone.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
CHUNKS_PER_PHOTO = 4  # a typical local description: the whole text, then a caption, people, colours
DIMENSION = 384
BATCH = 20_000
QUERY_RUNS = 3  # each query this many times: p99 over ~100 timings


def _words(text: str) -> list[str]:
    return text.split()


SUBJECTS = _words("""
cat dog puppy kitten horse bird duck swan child children baby family couple friends woman man bicycle
car bus train boat ship aeroplane tractor scooter motorbike tram kayak tent castle church bridge tower
lighthouse windmill temple palace house garden flower tree forest mountain lake river beach sea waves
sunset sunrise snow rain fog clouds cake pizza coffee tea wine beer salad burger receipt ticket menu
sign poster book laptop phone screen keyboard guitar piano football tennis
""")
PLACES = _words("""
kitchen garden park street market station airport office classroom restaurant cafe museum stadium
harbour field playground living room bedroom bathroom hotel shop supermarket
""")
COLOURS = _words("red orange yellow green blue purple pink brown black white grey navy teal beige")
EXTRAS = _words("""
asleep running jumping smiling playing sitting standing eating reading waving laughing old new small
big wooden stone glass metal shiny wet sunny cloudy dark bright
""")
CAMERAS = ("Apple iPhone 13", "Google Pixel 7", "samsung SM-G991B", "Canon EOS R6", "FUJIFILM X-T4")
QUERIES = [
    ("cat", {}),
    ("kids at the beach", {}),
    ("red bicycle in the street", {}),
    ("receipt from the supermarket", {}),
    ("sunset over the lake", {}),
    ("birthday cake", {}),
    ("dog running in the park", {}),
    ("snow on the mountain 2021", {}),
    ("photos of my family last summer", {}),
    ("church", {"camera": "pixel"}),
    ("coffee", {"people": "0"}),
    ("zzzzqqq", {}),
    ("a quiet cafe at night", {}),
    ("old wooden boat in the harbour", {}),
    ('"wooden boat"', {}),
    ("guitar", {"orientation": "portrait"}),
    ("flower", {"colour": "yellow"}),
    ("pooch", {}),
    ("bike", {"from": "2022", "to": "2023"}),
    ("train station", {}),
    ("menu", {"text": "yes"}),
    ("tower", {}),
    ("woman reading a book", {}),
    ("scooter", {}),
    ("ship", {}),
    ("tennis", {}),
    ("grey kitten asleep", {}),
    ("football stadium", {}),
    ("forest in the fog", {}),
    ("pizza", {}),
    ("lighthouse", {}),
    ("tram", {}),
    ("couple", {}),
]


def description(rng: random.Random) -> tuple[str, list[str], int]:
    subject, other = rng.sample(SUBJECTS, 2)
    colour, colour2 = rng.sample(COLOURS, 2)
    extra = rng.choice(EXTRAS)
    place = rng.choice(PLACES)
    people = rng.choice((0, 0, 0, 1, 1, 2, 3, 5))
    lines = [
        f"A {colour} {subject} {extra} in the {place}, with a {other} nearby.",
        f"{people} people." if people else "",
        f"Colours: mostly {colour}, with {colour2}.",
    ]
    return "\n".join(line for line in lines if line), [subject, other], people


def build(folder: Path, photos: int, seed: int = 7) -> None:
    """A library of `photos` images and CHUNKS_PER_PHOTO random vectors each, in `folder`."""
    from sqlalchemy import insert

    from imgsearch.db.engine import create_engine
    from imgsearch.db.migrate import upgrade
    from imgsearch.db.repository import facet_rows, search_text
    from imgsearch.db.schema import FacetRow, ImageRow
    from imgsearch.index.local import LocalVectorIndex
    from imgsearch.models import ImageRecord, Status

    rng = random.Random(seed)
    engine = create_engine(f"sqlite:///{folder / 'imgsearch.db'}")
    upgrade(engine)
    start = datetime(2015, 1, 1)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for first in range(0, photos, BATCH):
            rows, facets = [], []
            for n in range(first, min(photos, first + BATCH)):
                text, labels, people = description(rng)
                width, height = rng.choice(((4032, 3024), (3024, 4032), (2000, 2000)))
                record = ImageRecord(
                    id=f"{n:032x}",
                    content_hash=f"{n:064x}",
                    storage_key=f"originals/{n:032x}.jpg",
                    filename=f"IMG_{n:07d}.jpg",
                    content_type="image/jpeg",
                    size_bytes=3_000_000,
                    width=width,
                    height=height,
                    status=Status.INDEXED,
                    description=text,
                    taken_at=start + timedelta(minutes=rng.randrange(60 * 24 * 365 * 11)),
                    vector_count=CHUNKS_PER_PHOTO,
                    embedder="bench",
                    attempts=1,
                    created_at=now,
                    updated_at=now,
                    indexed_at=now,
                    camera=rng.choice(CAMERAS),
                    people=people,
                    has_text=rng.random() < 0.1,
                    labels=labels,
                    colours=[],
                )
                values = {c.name: getattr(record, c.name, None) for c in ImageRow.__table__.columns}
                values.update(status="indexed", details={}, search_text=search_text(record))
                values.pop("search_tsv", None)
                rows.append(values)
                facets.extend(facet_rows(record))
            conn.execute(insert(ImageRow), rows)
            conn.execute(insert(FacetRow), facets)
    engine.dispose()
    # Vectors straight into the local index's file (the same schema; upsert() one by one would
    # spend the time converting lists of floats, which the product never does in bulk).
    index_dir = folder / "index"
    LocalVectorIndex(index_dir / f"vectors-{DIMENSION}.sqlite", DIMENSION).close()
    vectors = np.random.default_rng(seed)
    conn = sqlite3.connect(index_dir / f"vectors-{DIMENSION}.sqlite", isolation_level=None)
    conn.execute("BEGIN")
    total = photos * CHUNKS_PER_PHOTO
    for first in range(0, total, BATCH):
        count = min(BATCH, total - first)
        block = vectors.standard_normal((count, DIMENSION)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        conn.executemany(
            "INSERT INTO vectors (id, image_id, chunk, embedder, embedding) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    f"{i // CHUNKS_PER_PHOTO:032x}#{i % CHUNKS_PER_PHOTO}",
                    f"{i // CHUNKS_PER_PHOTO:032x}",
                    i % CHUNKS_PER_PHOTO,
                    "bench",
                    block[i - first].tobytes(),
                )
                for i in range(first, first + count)
            ),
        )
    conn.execute("COMMIT")
    conn.close()


def measure(folder: Path, embedder) -> dict:
    """Timings of the real search path over a built library, and of the floor, side by side."""
    from imgsearch.config import load_settings
    from imgsearch.library import Library
    from imgsearch.pipeline.query import parse_filters
    from imgsearch.pipeline.search import SearchRequest

    settings = load_settings(environ={}, env_file=None, overrides={"data_dir": str(folder)})
    library = Library(settings, embedder=embedder)
    started = time.perf_counter()
    library.search.search("warm up")  # loads the index from disk and opens WordNet
    first = time.perf_counter() - started
    requests = [SearchRequest(query=q, filters=parse_filters(f)) for q, f in QUERIES]
    timings = []
    for _ in range(QUERY_RUNS):
        for request in requests:
            started = time.perf_counter()
            library.search.find(request)
            timings.append(time.perf_counter() - started)
    index = library.index
    matrix = index._file._matrix  # the floor runs over the very matrix the index searches
    lookups, floors = [], []
    top_k = 30 * library.search.ranking.candidates_per_result
    for query, _ in QUERIES:
        vector = embedder.embed_query(query)
        started = time.perf_counter()
        index.query(vector, top_k)
        lookups.append(time.perf_counter() - started)
        q = np.asarray(vector, dtype=np.float32)
        started = time.perf_counter()
        scores = matrix @ q
        np.argpartition(-scores, top_k - 1)[:top_k]
        floors.append(time.perf_counter() - started)
    timings.sort()
    return {
        "vectors": len(matrix),
        "first": first,
        "p50": statistics.median(timings),
        "p99": timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))],
        "lookup": statistics.median(lookups),
        "floor": statistics.median(floors),
    }


def run(row, sizes=None) -> None:
    """Build and measure each size, reporting through row(name, value, note)."""
    from imgsearch.embedders.minilm import MiniLMEmbedder

    sizes = (
        sizes or [int(s) for s in os.environ.get("BENCH_SEARCH_SIZES", "").split(",") if s] or DEFAULT_SIZES
    )
    embedder = MiniLMEmbedder()
    for photos in sizes:
        with tempfile.TemporaryDirectory(prefix="imgsearch-bench-search-") as tmp:
            started = time.perf_counter()
            build(Path(tmp), photos)
            built = time.perf_counter() - started
            m = measure(Path(tmp), embedder)
        name = f"search {photos:>9,} photos ({m['vectors']:,} vectors)"
        row(
            f"{name}: p50 / p99 end to end",
            f"{m['p50'] * 1000:.0f} / {m['p99'] * 1000:.0f} ms",
            f"(first search, loading the index: {m['first']:.1f} s; built in {built:.0f} s)",
        )
        row(
            f"{name}: index top-240",
            f"{m['lookup'] * 1000:.1f} ms",
            f"(floor: matrix-vector product + argpartition {m['floor'] * 1000:.1f} ms, "
            f"{m['lookup'] / m['floor']:.2f}x)",
        )


if __name__ == "__main__":
    run(
        lambda name, value, note="": print(f"{name}: {value} {note}", flush=True),
        [int(a) for a in sys.argv[1:]] or None,
    )
