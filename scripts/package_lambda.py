#!/usr/bin/env python3
"""Build a Lambda-ready, deterministic zip for one service (ingest or web).

Third-party dependencies are installed from manylinux wheels for the target runtime and architecture
(never built here, never taken from the build machine's venv); the repository's own packages are copied
in as source. Everything is precompiled to bytecode by an interpreter of the runtime's own version
(found by running the candidates: LAMBDA_PYTHON, pyenv, uv, PATH), since /var/task is read-only and
a cold start would otherwise compile every module it imports; the build stops if there is none,
unless sources alone are allowed (--allow-source-only, or ALLOW_SOURCE_ONLY=1). Shared objects lose
their debug sections (llvm-strip, which reads any architecture). The zip has fixed timestamps and
sorted entries, so an unchanged build has an unchanged hash and `terraform apply` leaves the function
alone.

    python scripts/package_lambda.py ingest
    python scripts/package_lambda.py web --arch x86_64 --boto3 runtime
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each function imports. Names only: the versions come from requirements/constraints.txt.
COMMON = ["sqlalchemy", "alembic", "pg8000", "pinecone", "python-dotenv"]
BOTO3 = ["boto3", "botocore", "s3transfer", "jmespath"]


@dataclass(frozen=True)
class Service:
    """What goes into one function's zip."""

    requirements: tuple[str, ...]
    sources: tuple[str, ...]  # package directories, relative to the repository root


SERVICES = {
    "ingest": Service(
        requirements=(*COMMON, "pillow"),
        sources=("shared/imgsearch", "services/ingest/imgsearch_ingest"),
    ),
    "web": Service(
        requirements=(*COMMON, "flask", "jinja2", "apig-wsgi"),
        sources=("shared/imgsearch", "services/web/imgsearch_web"),
    ),
}

ARCHITECTURES = {"arm64": "aarch64", "x86_64": "x86_64"}

# Lambda's published limits for a zip deployment.
MAX_ZIPPED = 50 * 1024 * 1024
MAX_UNZIPPED = 250 * 1024 * 1024

# 1980-01-01 is the earliest time a zip entry can carry.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)

PRUNE_DIRS = {"__pycache__", "tests"}
PRUNE_SUFFIXES = (".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".c", ".h", ".cpp")
# Never imported by the functions, each checked against what a run imports (the bench's cold start
# from the zip imports the handlers and serves a first request):
PRUNE_PATHS = (
    # pinecone's gRPC transport (pc.index(..., grpc=True)), asyncio client and admin API: imgsearch
    # uses the synchronous HTTP client only.
    "pinecone/_grpc.abi3.so",
    "pinecone/grpc",
    "pinecone/async_client",
    "pinecone/pinecone_asyncio.py",
    "pinecone/admin",
    # SQLAlchemy's and Alembic's test suites, and the dialects of databases imgsearch does not use
    # (it speaks SQLite and PostgreSQL).
    "sqlalchemy/testing",
    "sqlalchemy/dialects/mysql",
    "sqlalchemy/dialects/mssql",
    "sqlalchemy/dialects/oracle",
    "alembic/testing",
    # dateutil's copy of the tz database: botocore uses dateutil.tz, never dateutil.zoneinfo's tarball.
    "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz",
)
# pip's install bookkeeping; METADATA, entry points and licences stay (importlib.metadata reads them).
PRUNE_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}

# Of botocore's ~400 service models, the ones the functions call (--boto3 slim keeps only these).
BOTO_SERVICES = ("s3", "ssm", "bedrock-runtime", "sts", "s3vectors")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    service = SERVICES[args.service]
    build_dir = (args.build_dir or ROOT / "build" / args.service).resolve()
    output = (args.output or ROOT / "build" / f"{args.service}.zip").resolve()

    requirements = list(service.requirements)
    if args.boto3 != "runtime":
        requirements += BOTO3

    if build_dir.exists():
        shutil.rmtree(build_dir)
    build_dir.mkdir(parents=True)
    pip_install(requirements, build_dir, args)
    copy_sources(service.sources, build_dir)
    if args.boto3 == "runtime":
        # A dependency may have pulled the SDK in; the runtime's copy is the one to use.
        remove_packages(build_dir, BOTO3)
    prune(build_dir)
    if args.boto3 == "slim":
        slim_botocore(build_dir, BOTO_SERVICES)
        check_botocore(build_dir, BOTO_SERVICES)
    strip_shared_objects(build_dir)
    compile_bytecode(build_dir, args.runtime, args.python, allow_source_only=args.allow_source_only)
    warn_missing_imports(build_dir, service.sources)

    write_zip(build_dir, output)
    report(args.service, build_dir, output)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.add_argument("--runtime", default="python3.12", help="Lambda runtime (default: python3.12)")
    parser.add_argument("--arch", default="arm64", choices=sorted(ARCHITECTURES), help="default: arm64")
    parser.add_argument(
        "--boto3",
        default="slim",
        choices=("bundle", "slim", "runtime"),
        help="slim (default): pinned boto3/botocore with only the service models the functions use; "
        "bundle: all of botocore; runtime: no SDK in the zip, rely on the runtime's boto3",
    )
    parser.add_argument("--constraints", type=Path, default=ROOT / "requirements" / "constraints.txt")
    parser.add_argument("--build-dir", type=Path, help="default: build/<service>")
    parser.add_argument("--output", type=Path, help="default: build/<service>.zip")
    parser.add_argument(
        "--python",
        default=os.environ.get("LAMBDA_PYTHON") or None,
        help="interpreter of the runtime's version to precompile with (default: $LAMBDA_PYTHON, "
        "then pyenv, uv and PATH are searched)",
    )
    parser.add_argument(
        "--allow-source-only",
        action="store_true",
        default=os.environ.get("ALLOW_SOURCE_ONLY", "") not in ("", "0"),
        help="ship sources without bytecode when no interpreter of the runtime's version is found "
        "(slower cold starts; also ALLOW_SOURCE_ONLY=1)",
    )
    return parser.parse_args(argv)


def python_version(runtime: str) -> str:
    match = re.fullmatch(r"python(3\.\d+)", runtime)
    if not match:
        raise SystemExit(f"not a Python Lambda runtime: {runtime}")
    return match.group(1)


def platforms(runtime: str, arch: str) -> list[str]:
    """The wheel platform tags the runtime's C library can load."""
    machine = ARCHITECTURES[arch]
    tags = [f"manylinux2014_{machine}"]  # glibc 2.17
    # python3.12 and later run on Amazon Linux 2023 (glibc 2.34); earlier ones on Amazon Linux 2 (2.26).
    if tuple(int(part) for part in python_version(runtime).split(".")) >= (3, 12):
        tags.append(f"manylinux_2_28_{machine}")
    return tags


def pip_install(requirements: list[str], target: Path, args: argparse.Namespace) -> None:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target)]
    command += ["--implementation", "cp", "--python-version", python_version(args.runtime)]
    command += ["--only-binary=:all:", "--upgrade"]
    for platform in platforms(args.runtime, args.arch):
        command += ["--platform", platform]
    if args.constraints and args.constraints.is_file():
        command += ["--constraint", str(args.constraints)]
    command += requirements
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})


def copy_sources(sources: tuple[str, ...], target: Path) -> None:
    for source in sources:
        path = ROOT / source
        if not path.is_dir():
            print(f"warning: {source} does not exist yet; packaging without it", file=sys.stderr)
            continue
        shutil.copytree(path, target / path.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def remove_packages(build_dir: Path, names: list[str]) -> None:
    wanted = {normalise(name) for name in names}
    for dist_info in build_dir.glob("*.dist-info"):
        if normalise(dist_info.name.split("-")[0]) not in wanted:
            continue
        for top_level in installed_top_levels(dist_info):
            for path in (build_dir / top_level, build_dir / f"{top_level}.py"):
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.exists():
                    path.unlink()
        shutil.rmtree(dist_info)


def installed_top_levels(dist_info: Path) -> set[str]:
    top_level = dist_info / "top_level.txt"
    if top_level.is_file():
        return {line.strip() for line in top_level.read_text().splitlines() if line.strip()}
    record = dist_info / "RECORD"
    names = set()
    if record.is_file():
        for line in record.read_text().splitlines():
            first = line.split(",")[0].split("/")[0]
            if first and not first.endswith((".dist-info", "..")):
                names.add(first.removesuffix(".py"))
    return names


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def prune(build_dir: Path) -> None:
    """Drop what Lambda never reads: caches, tests, stubs, C sources, console scripts, pip records."""
    for relative in PRUNE_PATHS:
        path = build_dir / relative
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    shutil.rmtree(build_dir / "bin", ignore_errors=True)  # pip's console scripts
    for path in sorted(build_dir.rglob("*"), reverse=True):
        if not path.exists():
            continue
        if path.is_dir():
            if path.name in PRUNE_DIRS:
                shutil.rmtree(path)
        elif path.suffix in PRUNE_SUFFIXES or (
            path.parent.name.endswith(".dist-info") and path.name in PRUNE_DIST_INFO
        ):
            path.unlink()


def slim_botocore(build_dir: Path, services: tuple[str, ...]) -> None:
    data = build_dir / "botocore" / "data"
    if not data.is_dir():
        return
    for path in data.iterdir():
        if path.is_dir() and path.name not in services:
            shutil.rmtree(path)
    boto3_data = build_dir / "boto3" / "data"
    if boto3_data.is_dir():
        for path in boto3_data.iterdir():
            if path.is_dir() and path.name not in services:
                shutil.rmtree(path)


def check_botocore(build_dir: Path, services: tuple[str, ...]) -> None:
    """Build a client for each kept service from the zip's own (pure Python) SDK, or fail the build."""
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import boto3, botocore; "
        "[boto3.client(name, region_name='us-east-1', aws_access_key_id='x', aws_secret_access_key='x') "
        "for name in sys.argv[2:]]; print('botocore', botocore.__version__, 'models:', *sys.argv[2:])"
    )
    # -S: no site-packages, so only the build directory (and the standard library) can satisfy imports;
    # -B: no __pycache__ left behind in it.
    subprocess.run([sys.executable, "-B", "-S", "-c", script, str(build_dir), *services], check=True)


def compile_bytecode(build_dir: Path, runtime: str, python: str | None, allow_source_only: bool) -> None:
    """Precompile everything with an interpreter of the runtime's version (faster cold starts).

    /var/task is read-only on Lambda, so without .pyc files every cold start compiles every module it
    imports. Bytecode is version specific: only an interpreter of the runtime's version can write it.
    Raises SystemExit when there is none, unless allow_source_only.
    """
    version = python_version(runtime)
    tried: list[str] = []
    interpreter = find_interpreter(version, python, tried)
    if interpreter is None:
        message = (
            f"no working Python {version} to precompile with (tried: {', '.join(tried) or 'nothing'}); "
            f"set LAMBDA_PYTHON=/path/to/python{version}, or install one (pyenv install {version}, "
            f"uv python install {version})"
        )
        if not allow_source_only:
            raise SystemExit(f"error: {message}; ALLOW_SOURCE_ONLY=1 ships sources only (slower cold starts)")
        print(f"warning: {message}; shipping sources only, as allowed", file=sys.stderr)
        return
    print(f"precompiling with {interpreter}", flush=True)
    options = ["-q", "-j", "0", "--invalidation-mode", "unchecked-hash", "-d", "/var/task"]
    subprocess.run([interpreter, "-m", "compileall", *options, str(build_dir)], check=True)


def find_interpreter(version: str, explicit: str | None, tried: list[str]) -> str | None:
    """The first candidate that runs and reports this version (each one tried is added to tried)."""
    candidates = [explicit] if explicit else list(interpreter_candidates(version))
    for candidate in dict.fromkeys(candidates):
        tried.append(candidate)
        if interpreter_version(candidate) == version:
            return candidate
    return None


def interpreter_candidates(version: str) -> Iterator[str]:
    """Where a Python of this version may be: pyenv's versions, uv's, then PATH (shims included)."""
    pyenv_root = os.environ.get("PYENV_ROOT") or run_for_output(["pyenv", "root"]) or "~/.pyenv"
    installed = sorted(Path(pyenv_root).expanduser().glob(f"versions/{version}*/bin/python{version}"))
    yield from (str(path) for path in reversed(installed))  # the newest patch release first
    found = run_for_output(["uv", "python", "find", version])
    if found:
        yield found
    for name in (f"python{version}", "python3", "python"):
        path = shutil.which(name)
        if path:
            yield path


def interpreter_version(interpreter: str) -> str | None:
    """The X.Y an interpreter reports when run, or None if it does not run (a pyenv shim may not)."""
    probe = "import sys; print('%d.%d' % sys.version_info[:2])"
    return run_for_output([interpreter, "-c", probe])


def run_for_output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def strip_shared_objects(build_dir: Path) -> None:
    """Remove debug sections from the wheels' shared objects (SQLAlchemy's: 10.6 MB to 2.2 MB)."""
    strip = os.environ.get("LLVM_STRIP") or shutil.which("llvm-strip")
    if not strip:
        versioned = sorted(
            (
                p
                for d in os.environ.get("PATH", "").split(os.pathsep)
                for p in Path(d or ".").glob("llvm-strip-*")
            ),
            reverse=True,
        )
        strip = str(versioned[0]) if versioned else None
    objects = sorted(build_dir.rglob("*.so")) + sorted(build_dir.rglob("*.so.*"))
    if not objects:
        return
    if not strip:
        print("warning: llvm-strip not found: shared objects keep their debug sections", file=sys.stderr)
        return
    before = sum(path.stat().st_size for path in objects)
    subprocess.run([strip, "--strip-debug", *map(str, objects)], check=True)
    after = sum(path.stat().st_size for path in objects)
    print(f"stripped {len(objects)} shared objects: {mib(before)} -> {mib(after)}", flush=True)


def warn_missing_imports(build_dir: Path, sources: tuple[str, ...]) -> None:
    """Name third-party modules the service's code imports at module level but the zip lacks."""
    present = {path.name.removesuffix(".py").split(".")[0] for path in build_dir.iterdir()}
    known = present | set(sys.stdlib_module_names) | {"__future__"}
    if not (build_dir / "boto3").exists():
        known |= {"boto3", "botocore"}  # provided by the runtime
    missing: dict[str, set[str]] = {}
    for source in sources:
        package = build_dir / Path(source).name
        for file in package.rglob("*.py"):
            for name in module_level_imports(file):
                if name not in known:
                    missing.setdefault(name, set()).add(str(file.relative_to(build_dir)))
    for name, files in sorted(missing.items()):
        print(
            f"warning: {name} is imported at module level by {', '.join(sorted(files))} but is not in "
            f"the zip (fine only if those modules are never imported on Lambda)",
            file=sys.stderr,
        )


def module_level_imports(file: Path) -> set[str]:
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    except SyntaxError:
        return set()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def write_zip(build_dir: Path, output: Path) -> None:
    files = sorted(
        (path for path in build_dir.rglob("*") if path.is_file()),
        key=lambda path: path.relative_to(build_dir).as_posix(),
    )
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(build_dir).as_posix(), date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            # A world-readable regular file: Lambda runs the code as a user that does not own it.
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # Unix, so the mode bits are honoured
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    partial.replace(output)


def report(service: str, build_dir: Path, output: Path) -> None:
    zipped = output.stat().st_size
    with zipfile.ZipFile(output) as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
        count = len(archive.infolist())
    digest = hashlib.sha256(output.read_bytes()).hexdigest()
    print(
        f"{service}: {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output} "
        f"{mib(zipped)} zipped (limit 50 MiB), {mib(unzipped)} unzipped (limit 250 MiB), "
        f"{count} files, sha256 {digest[:16]}"
    )
    if zipped > MAX_ZIPPED or unzipped > MAX_UNZIPPED:
        raise SystemExit(f"{service}: the zip exceeds Lambda's limits")


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


if __name__ == "__main__":
    sys.exit(main())
