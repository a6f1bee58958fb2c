"""The cloud half of `make bench`: Lambda cold starts from the built zips, zip sizes, reindex
throughput; and docs/benchmarks.md, the one table of everything bench.py measured.

Cold starts run each function's handler from its unzipped package in a fresh Python 3.12 process
(the runtime's version), with only the package on sys.path (-S), no bytecode written (-B; /var/task
is read-only), until the first event is answered: the web function serves the gallery (24 photos,
their thumbnails presigned) for an API Gateway v2 event; the ingest function handles an S3 event for
an upload it refuses (read from S3, validated with Pillow, recorded, deleted: no Bedrock call).
Their floor, in the same run, is `python -c "import boto3, flask"` with the same interpreter and
package. The zips are built for x86_64 to run here; the arm64 ones Lambda gets are built and sized
too. SQLite stands in for PostgreSQL and moto's server (loopback) for S3.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = max(10, int(os.environ.get("BENCH_COLD_RUNS", "15")))
WEB_TARGET = 1.3  # web handler + first page, times the floor
WEB_ZIP_TARGET_MB = 15.0
Row = Callable[..., None]

# Peak memory of this process image: VmHWM starts afresh at exec, unlike ru_maxrss (which would
# count the benchmark's own memory, inherited through fork).
PEAK = (
    "def peak():\n    return next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
)
WEB_BOOT = (
    PEAK
    + """
import json, sys
from imgsearch_web.lambda_handler import handler
answer = handler(json.load(open(sys.argv[1])), None)
assert answer["statusCode"] == 200, answer
print(peak())
"""
)
INGEST_BOOT = (
    PEAK
    + """
import json, sys
from imgsearch_ingest.handler import handler
answer = handler(json.load(open(sys.argv[1])), None)
assert answer["records"][0]["outcome"] == "invalid", answer
print(peak())
"""
)
FLOOR = PEAK + "import boto3, flask\nprint(peak())"


def run(row: Row) -> None:
    """Every measurement of this module, each reported through row(name, value, note)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from package_lambda import find_interpreter

    python = find_interpreter("3.12", os.environ.get("LAMBDA_PYTHON"), [])
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sizes = build_zips(tmp, python)
        for service in ("web", "ingest"):
            zipped, unzipped = sizes[("arm64", service)]
            note = f"{unzipped:.0f} MB unzipped; Lambda's limits 50 / 250 MB"
            if service == "web":
                verdict = "met" if zipped <= WEB_ZIP_TARGET_MB else "MISSED"
                note += f"; target <= {WEB_ZIP_TARGET_MB:.0f} MB: {verdict}"
            note = f"({note})"
            row(f"Lambda zip, {service} (arm64, bytecode)", f"{zipped:.1f} MB", note)
        if python is None:
            row("Lambda cold starts", "skipped", "(no Python 3.12 here: set LAMBDA_PYTHON)")
        else:
            cold_starts(tmp, python, row)
    bench_reindex(row)


def build_zips(tmp: Path, python: str | None) -> dict[tuple[str, str], tuple[float, float]]:
    """Build both functions for arm64 (what Lambda runs) and x86_64 (what runs here); sizes in MB."""
    sizes = {}
    env = {**os.environ, "ALLOW_SOURCE_ONLY": "0" if python else "1"}
    for arch in ("arm64", "x86_64"):
        for service in ("web", "ingest"):
            output = tmp / arch / f"{service}.zip"
            command = [sys.executable, str(ROOT / "scripts" / "package_lambda.py"), service, "--arch", arch]
            command += ["--build-dir", str(tmp / "build" / f"{arch}-{service}"), "--output", str(output)]
            subprocess.run(command, check=True, capture_output=True, env=env)
            with zipfile.ZipFile(output) as archive:
                unzipped = sum(info.file_size for info in archive.infolist())
            sizes[(arch, service)] = (output.stat().st_size / 1e6, unzipped / 1e6)
            shutil.rmtree(tmp / "build" / f"{arch}-{service}")
    return sizes


def cold_starts(tmp: Path, python: str, row: Row) -> None:
    """Median of RUNS fresh processes per handler, beside the import boto3, flask floor."""
    packages = {}
    for service in ("web", "ingest"):
        packages[service] = tmp / "task" / service
        with zipfile.ZipFile(tmp / "x86_64" / f"{service}.zip") as archive:
            archive.extractall(packages[service])
    sources_only = tmp / "task" / "web-sources"
    shutil.copytree(packages["web"], sources_only, ignore=shutil.ignore_patterns("__pycache__"))
    with MotoServer() as s3_url:
        web_env, web_event = prepare_web(tmp, s3_url)
        ingest_env, ingest_event, reupload = prepare_ingest(tmp, s3_url)
        floor, web, web_sources, ingest = timed(
            python,
            [
                Start(packages["web"], ["-c", FLOOR], web_env),
                Start(packages["web"], ["-c", WEB_BOOT, str(web_event)], web_env),
                Start(sources_only, ["-c", WEB_BOOT, str(web_event)], web_env),
                Start(packages["ingest"], ["-c", INGEST_BOOT, str(ingest_event)], ingest_env, reupload),
            ],
        )
    row(
        f"cold start floor: python3.12 -c 'import boto3, flask' (zip's own, {RUNS} runs)", f"{floor[0]:.2f} s"
    )
    ratio = web[0] / floor[0]
    verdict = "met" if ratio <= WEB_TARGET else "MISSED"
    row(
        "cold start: web handler + first page (gallery of 24, API Gateway v2 event)",
        f"{web[0]:.2f} s",
        f"({ratio:.2f}x the floor; target <= {WEB_TARGET}x: {verdict})",
    )
    row(
        "cold start: the same web zip without bytecode (sources only)",
        f"{web_sources[0]:.2f} s",
        f"({web_sources[0] / web[0]:.1f}x the zip with bytecode)",
    )
    row(
        "cold start: ingest handler + first S3 event (a refused upload: no Bedrock call)",
        f"{ingest[0]:.2f} s",
        f"({ingest[0] / floor[0]:.2f}x the floor)",
    )
    row(
        "peak memory: web / ingest cold start (floor)",
        f"{web[1]:.0f} / {ingest[1]:.0f} MB",
        f"(floor {floor[1]:.0f} MB; the functions get 512 / 1,024 MB)",
    )


@dataclass(frozen=True)
class Start:
    """One cold start to time: a package, the interpreter's arguments, the environment, a set-up."""

    package: Path
    args: list[str]
    env: dict[str, str]
    before: Callable[[], None] | None = None


def timed(python: str, starts: list[Start]) -> list[tuple[float, float]]:
    """Median wall time (s) and peak RSS (MB) of each start over RUNS fresh processes.

    The starts take turns, run by run, so the machine's drift (it is shared) falls on all alike. Only
    the package is importable (-S), and no bytecode is written (-B).
    """
    seconds: list[list[float]] = [[] for _ in starts]
    peaks: list[list[float]] = [[] for _ in starts]
    for attempt in range(RUNS + 1):
        for n, start in enumerate(starts):
            if start.before:
                start.before()
            env = {**start.env, "PYTHONPATH": str(start.package), "PYTHONDONTWRITEBYTECODE": "1"}
            began = time.perf_counter()
            done = subprocess.run(
                [python, "-S", "-B", *start.args],
                env=env,
                cwd=start.package,
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - began
            if done.returncode != 0:
                raise RuntimeError(f"cold start failed: {done.stderr[-2000:]}")
            if attempt:  # the first round warms the page cache and the database, as an earlier deploy did
                seconds[n].append(elapsed)
                peaks[n].append(int(done.stdout.strip().splitlines()[-1]) / 1024)
    return [(statistics.median(s), statistics.median(p)) for s, p in zip(seconds, peaks, strict=True)]


def base_env(tmp: Path, s3_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp),
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "IMGSEARCH_STORAGE": "s3",
        "IMGSEARCH_S3_BUCKET": "bench-photos",
        "IMGSEARCH_AWS_ENDPOINT_URL": s3_url,
        "IMGSEARCH_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "IMGSEARCH_INDEX": "s3vectors",
        "IMGSEARCH_S3VECTORS_BUCKET": "bench-vectors",
        "IMGSEARCH_EMBEDDER": "bedrock",
        "IMGSEARCH_DESCRIBER": "bedrock",
        "IMGSEARCH_PROCESSING_LEASE_S": "120",
        "IMGSEARCH_AWS_CONNECT_TIMEOUT_S": "5",
        "IMGSEARCH_BEDROCK_TIMEOUT_S": "25",
        "IMGSEARCH_DATA_DIR": str(tmp / "lambda-tmp"),
        "IMGSEARCH_LOG_LEVEL": "WARNING",
    }


def prepare_web(tmp: Path, s3_url: str) -> tuple[dict[str, str], Path]:
    """A database holding 24 indexed photos (so the page presigns 24 thumbnails) and a GET / event."""
    from imgsearch.config import load_settings
    from imgsearch.db.engine import create_engine
    from imgsearch.db.migrate import upgrade
    from imgsearch.db.repository import SqlImageRepository
    from imgsearch.models import ImageRecord, Status

    event = json.loads((ROOT / "tests" / "web" / "events" / "http_api_get.json").read_text())
    env = {
        **base_env(tmp, s3_url),
        "IMGSEARCH_SECRET_KEY": "bench-" * 8,
        "IMGSEARCH_CREATE_INDEX": "false",
        # The API's own domain, as Terraform sets it: the only Host the function answers.
        "IMGSEARCH_PUBLIC_URL": f"https://{event['headers']['host']}",
    }
    settings = load_settings(environ=env, env_file=None)
    engine = create_engine(settings.sqlalchemy_url)
    upgrade(engine)
    repository = SqlImageRepository(engine)
    for n in range(24):
        repository.add(
            ImageRecord(
                id=f"{n:032x}",
                content_hash=f"{n:064x}",
                storage_key=f"originals/{n:032x}.jpg",
                filename=f"IMG_{n:04d}.jpg",
                content_type="image/jpeg",
                size_bytes=2_000_000,
                width=4032,
                height=3024,
                status=Status.INDEXED,
                thumbnail_key=f"thumbnails/{n:032x}.jpg",
                description="A grey cat asleep on a red sofa.",
                vector_count=2,
            )
        )
    # A signed-in person's first page: the first account owns the photos above; its token signs in.
    from imgsearch.accounts import Accounts
    from imgsearch.db.accounts import SqlAccountStore

    accounts = Accounts(SqlAccountStore(engine))
    _, token = accounts.create_token(accounts.add_user("bench", "bench password " * 2), "bench")
    engine.dispose()
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/"
    event["headers"]["accept"] = "text/html"
    event["headers"]["authorization"] = f"Bearer {token}"
    path = tmp / "web-event.json"
    path.write_text(json.dumps(event))
    return env, path


def prepare_ingest(tmp: Path, s3_url: str) -> tuple[dict[str, str], Path, Callable[[], None]]:
    """An S3 event for an upload that is not a photo, and a way to upload it again before each run."""
    import boto3

    env = base_env(tmp, s3_url)
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_url,
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    s3.create_bucket(Bucket="bench-photos")
    key = "originals/notes.jpg"

    def reupload() -> None:
        s3.put_object(Bucket="bench-photos", Key=key, Body=b"%PDF-1.4 not a photo", ContentType="image/jpeg")

    event = json.loads((ROOT / "tests" / "events" / "s3_object_created_put.json").read_text())
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = "bench-photos"
    record["s3"]["object"].update(key="originals/notes.jpg", size=None, eTag=None)
    path = tmp / "ingest-event.json"
    path.write_text(json.dumps(event))
    return env, path, reupload


class MotoServer:
    """`python -m moto.server` on a free loopback port, for the duration of a with block."""

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                    return url
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# ---------------------------------------------------------------------------- reindex


def bench_reindex(row: Row, photos: int = 20) -> None:
    """How fast `imgsearch reindex` re-embeds a library (local MiniLM and index), photos per second."""
    from imgsearch.config import load_settings
    from imgsearch.library import Library

    sys.path.insert(0, str(ROOT / "tests"))
    from photos import photo

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(environ={}, env_file=None, overrides={"data_dir": tmp, "ocr": "false"})
        library = Library(settings)
        for n in range(photos):
            added = library.ingest.add(
                photo(size=(1600, 1200), caption=f"holiday photo {n}", seed=n + 1), f"p{n}.jpg"
            )
            library.ingest.process(added.image.id)
        rates = []
        for _ in range(3):
            start = time.perf_counter()
            done = library.ingest.reindex()
            rates.append(done / (time.perf_counter() - start))
        row(
            "reindex throughput (local MiniLM, description chunks)",
            f"{statistics.median(rates):.0f} photos/s",
        )


# ---------------------------------------------------------------------------- the report


def write_markdown(rows: list[tuple[str, str, str]], path: Path, runs: int) -> None:
    """docs/benchmarks.md: every row bench.py printed, in one table, with when and where."""
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d}: {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]} for the local figures and Python 3.12 for the Lambda ones. "
        "Medians, each next to its floor measured in the same run on the same (shared, noisy) machine; "
        f"{runs} fresh processes per local cold start, {RUNS} per Lambda cold start. Where a target is "
        "missed the row says so. How each figure is taken: `scripts/bench.py`, `scripts/bench_lambda.py`.",
        "",
        "| measure | median | next to (same run) |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {name} | {value} | {note.strip('()')} |" for name, value, note in rows]
    lines += [
        "",
        "Lambda cold starts run the x86_64 build of each zip here (same code and wheels as the arm64 "
        "one Lambda gets), SQLite standing in for PostgreSQL and moto's server on loopback for S3, so "
        "network time to AWS is not in them; Lambda at 512 MB also has less CPU than this machine.",
        "",
    ]
    path.write_text("\n".join(lines))
