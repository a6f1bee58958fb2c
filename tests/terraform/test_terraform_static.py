"""terraform fmt and validate, and checkov: no credentials, no AWS."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.terraform

MODULES = sorted(p.name for p in (Path(__file__).resolve().parents[2] / "terraform" / "modules").iterdir())


def test_configuration_is_formatted(terraform, pristine_copy):
    result = terraform.run(pristine_copy, "fmt", "-check", "-recursive", "-diff", "-no-color", check=False)
    assert result.returncode == 0, f"run `make tf-fmt`:\n{result.stdout}"


@pytest.mark.parametrize("directory", [".", *(f"modules/{name}" for name in MODULES)])
def test_configuration_validates(terraform, validate_copy, directory):
    workdir = validate_copy / directory
    init = terraform.init(workdir, "-backend=false")
    assert init.returncode == 0, init.stderr
    result = terraform.run(workdir, "validate", "-json", check=False)
    report = json.loads(result.stdout)
    assert report["valid"], report["diagnostics"]
    assert report["warning_count"] == 0, report["diagnostics"]


def test_checkov_finds_nothing(checkov, pristine_copy):
    options = ["--framework=terraform", "--output=json", "--skip-download", "--quiet"]
    result = subprocess.run(
        [str(checkov), "--directory", str(pristine_copy), *options],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout)
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['resource']} {c['file_path']}" for c in report["results"]["failed_checks"]]
    assert summary["failed"] == 0, "\n".join(failed)
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] > 20


def test_every_checkov_skip_gives_a_reason(pristine_copy):
    skips = [
        (path.name, line.strip())
        for path in pristine_copy.rglob("*.tf")
        for line in path.read_text().splitlines()
        if "checkov:skip" in line
    ]
    assert skips
    for name, line in skips:
        assert re.fullmatch(r"#checkov:skip=CKV2?_AWS_\d+:[A-Z].{30,}", line), f"{name}: {line}"
