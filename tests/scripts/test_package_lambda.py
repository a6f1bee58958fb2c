"""Lambda packaging: bytecode from an interpreter of the runtime's version, found by running candidates."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import package_lambda
import pytest
from package_lambda import compile_bytecode, find_interpreter, strip_shared_objects


def fake_python(folder: Path, name: str, body: str) -> str:
    """An executable that behaves like an interpreter (or like a broken pyenv shim)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_candidate_is_chosen_only_if_it_runs_and_reports_the_version(tmp_path, monkeypatch):
    shim = fake_python(
        tmp_path / "shims", "python3.12", 'echo "pyenv: python3.12: command not found" >&2; exit 127'
    )
    older = fake_python(tmp_path / "old", "python3.12", "echo 3.11")
    real = fake_python(tmp_path / "pyenv/versions/3.12.1/bin", "python3.12", "echo 3.12")
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'shims'}{os.pathsep}{tmp_path / 'old'}")

    tried: list[str] = []
    assert find_interpreter("3.12", None, tried) == real  # pyenv's versions folder, not the shim
    assert tried == [real]

    tried = []
    assert find_interpreter("3.12", shim, tried) is None  # LAMBDA_PYTHON is tried alone
    assert find_interpreter("3.12", older, tried) is None
    assert tried == [shim, older]


def test_sources_only_are_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setattr(package_lambda, "interpreter_candidates", lambda version: iter(()))
    (tmp_path / "mod.py").write_text("x = 1\n")

    with pytest.raises(SystemExit, match=r"no working Python 3\.12 .* ALLOW_SOURCE_ONLY=1"):
        compile_bytecode(tmp_path, "python3.12", None, allow_source_only=False)

    compile_bytecode(tmp_path, "python3.12", None, allow_source_only=True)
    assert not list(tmp_path.rglob("*.pyc"))


def test_bytecode_is_written_by_the_runtimes_version(tmp_path):
    python = shutil.which("python3") or ""
    version = package_lambda.interpreter_version(python) if python else None
    if not version:
        pytest.skip("no python3 to compile with")
    (tmp_path / "mod.py").write_text("x = 1\n")
    compile_bytecode(tmp_path, f"python{version}", python, allow_source_only=False)
    (pyc,) = tmp_path.rglob("*.pyc")
    assert pyc.name == f"mod.cpython-{version.replace('.', '')}.pyc"
    # Flags 0b01: hash-based and unchecked, so Lambda never compares it with the source's mtime.
    assert pyc.read_bytes()[4:8] == (1).to_bytes(4, "little")


def test_debug_sections_are_stripped(tmp_path):
    if not (os.environ.get("LLVM_STRIP") or shutil.which("llvm-strip")):
        pytest.skip("llvm-strip is not installed")
    library = next(
        Path(p) for p in map(str, Path("/usr/lib").rglob("*.so*")) if ".so" in p and Path(p).is_file()
    )
    copy = tmp_path / "lib" / library.name
    copy.parent.mkdir()
    shutil.copy(library, copy)
    strip_shared_objects(tmp_path)
    assert copy.stat().st_size <= library.stat().st_size
