"""Fixtures for the Terraform tests: the terraform binary, its AWS provider, a moto server, checkers.

Everything is skipped (not failed) when terraform is not on PATH or the AWS provider cannot be
installed: from TF_PLUGIN_DIR, from a mirror found in a conventional place, or from the registry.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = ROOT / "terraform"
MODULES = sorted(path.name for path in (TERRAFORM_DIR / "modules").iterdir() if path.is_dir())

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's
NAME = "imgsearch"
# Dummy secrets, distinctive enough to grep for in plans and state files.
SECRETS = {
    "database_url": "postgresql+pg8000://imgsearch:pw-6f1d0c@db.invalid/imgsearch",
    "pinecone_api_key": "pcsk-test-5b7e2a",
    "web_secret_key": "session-key-93c4e8",
}

# Where Terraform's implied local mirrors live (Linux), plus vendor mirrors under /opt.
MIRROR_GLOBS = (
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
    "/opt/*",
    "/opt/*/plugins",
)
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws/5.*/*"


def find_plugin_dir() -> Path | None:
    """A provider mirror holding hashicorp/aws 5.x: TF_PLUGIN_DIR, or one in a conventional place."""
    if os.environ.get("TF_PLUGIN_DIR"):
        return Path(os.environ["TF_PLUGIN_DIR"]).expanduser()
    for pattern in MIRROR_GLOBS:
        for base in sorted(glob.glob(os.path.expanduser(pattern))):
            if any(Path(base).glob(AWS_PROVIDER)):
                return Path(base)
    return None


@dataclass
class Terraform:
    """Runs terraform in a directory with a clean, non-interactive environment."""

    binary: str
    plugin_dir: Path | None
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self,
        cwd: Path,
        *args: str,
        check: bool = True,
        timeout: float = 600,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed ({result.returncode}) in {cwd}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def init(self, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        plugin = [f"-plugin-dir={self.plugin_dir}"] if self.plugin_dir else []
        return self.run(cwd, "init", "-input=false", "-no-color", *plugin, *args, check=False, timeout=300)


@pytest.fixture(scope="session")
def terraform(tmp_path_factory) -> Terraform:
    binary = shutil.which("terraform")
    if not binary:
        pytest.skip("terraform is not on PATH")
    cli_config = tmp_path_factory.mktemp("tf-cli") / "terraformrc"
    cli_config.write_text("")
    env = {
        **os.environ,
        "TF_IN_AUTOMATION": "1",
        "TF_INPUT": "0",
        "CHECKPOINT_DISABLE": "1",
        "TF_CLI_CONFIG_FILE": str(cli_config),
    }
    for name in [key for key in env if key.startswith(("TF_VAR_", "AWS_"))]:
        del env[name]
    tf = Terraform(binary, find_plugin_dir(), env)

    # One init proves the provider can be installed (offline from the mirror, or online).
    probe = copy_configuration(tmp_path_factory.mktemp("tf-probe"))
    result = tf.init(probe, "-backend=false")
    if result.returncode != 0:
        where = tf.plugin_dir or "the registry (no local mirror found; set TF_PLUGIN_DIR)"
        pytest.skip(f"cannot install the AWS provider from {where}: {result.stderr.strip()[-300:]}")
    return tf


def copy_configuration(target: Path) -> Path:
    """A private copy of terraform/ without local state, caches or variable files."""
    destination = target / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        destination,
        ignore=shutil.ignore_patterns(
            ".terraform",
            ".terraform.lock.hcl",
            "*.tfstate",
            "*.tfstate.*",
            "terraform.tfstate.d",
            "terraform.tfvars",
            "*.tfplan",
        ),
    )
    return destination


@pytest.fixture(scope="session")
def pristine_copy(tmp_path_factory) -> Path:
    """A copy of terraform/ nobody initialises (for fmt and checkov)."""
    return copy_configuration(tmp_path_factory.mktemp("tf-pristine"))


@pytest.fixture(scope="session")
def validate_copy(terraform, tmp_path_factory) -> Path:
    """A copy of terraform/ in which the root and each module get initialised for `validate`."""
    return copy_configuration(tmp_path_factory.mktemp("tf-validate"))


# ---------------------------------------------------------------------------------------- moto


def free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory) -> Iterator[str]:
    """`python -m moto.server` on a free port for the session; its URL."""
    try:
        import flask_cors  # noqa: F401  (moto's server needs the [server] extra)
        import moto  # noqa: F401
    except ImportError:
        pytest.skip("moto[server] is not installed (pip install 'moto[server]')")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto server did not start (see {log.name})")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def placeholder_zips(tmp_path_factory) -> dict[str, Path]:
    """Tiny stand-ins for build/*.zip: Terraform only hashes and uploads them."""
    directory = tmp_path_factory.mktemp("zips")
    zips = {}
    for service in ("ingest", "web"):
        path = directory / f"{service}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(f"imgsearch_{service}/__init__.py", "")
        zips[service] = path
    return zips


@pytest.fixture(scope="session")
def emulator_vars(moto_server, placeholder_zips) -> dict[str, Any]:
    """Variables for a throw-away stack in the moto server (written as a .tfvars.json file)."""
    return {
        "aws_endpoint_url": moto_server,
        "aws_region": REGION,
        "ingest_zip_path": str(placeholder_zips["ingest"]),
        "web_zip_path": str(placeholder_zips["web"]),
        "force_destroy_bucket": True,
        **SECRETS,
    }


@pytest.fixture(scope="session")
def aws_env() -> dict[str, str]:
    """Dummy credentials for terraform and boto3 against moto."""
    return {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION}


def emulated_copy(terraform: Terraform, target: Path, variables: dict[str, Any]) -> Path:
    """An initialised copy of terraform/ with its own state, its variables in an auto-loaded file."""
    workdir = copy_configuration(target)
    (workdir / "test.auto.tfvars.json").write_text(json.dumps(variables))
    result = terraform.init(workdir)
    assert result.returncode == 0, result.stderr
    return workdir


@dataclass
class Plan:
    """A saved plan of the whole stack against an empty moto server."""

    document: dict[str, Any]  # terraform show -json
    text: str  # the same, raw (for grepping)
    make: Any = None  # (*extra terraform plan arguments) -> another Plan in the same directory

    def resources(self) -> list[dict[str, Any]]:
        """Every planned resource instance (root and modules), as in planned_values."""
        found = []
        pending = [self.document["planned_values"]["root_module"]]
        while pending:
            module = pending.pop()
            found += module.get("resources", [])
            pending += module.get("child_modules", [])
        return found


@pytest.fixture(scope="session")
def plan(terraform, emulator_vars, aws_env, tmp_path_factory) -> Plan:
    workdir = emulated_copy(terraform, tmp_path_factory.mktemp("tf-plan"), emulator_vars)

    def make(*arguments: str) -> Plan:
        terraform.run(
            workdir, "plan", "-input=false", "-no-color", "-out=stack.tfplan", *arguments, env=aws_env
        )
        shown = terraform.run(workdir, "show", "-json", "stack.tfplan", env=aws_env).stdout
        return Plan(json.loads(shown), shown, make)

    return make()


@dataclass
class Stack:
    """The stack applied into the moto server."""

    terraform: Terraform
    workdir: Path
    env: dict[str, str]
    endpoint: str
    outputs: dict[str, Any]
    destroyed: bool = False

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.terraform.run(self.workdir, *args, check=check, env=self.env)

    def destroy(self) -> None:
        self.run("destroy", "-auto-approve", "-input=false", "-no-color")
        self.destroyed = True


@pytest.fixture(scope="session")
def stack(terraform, emulator_vars, aws_env, moto_server, tmp_path_factory) -> Iterator[Stack]:
    """`terraform apply` of the whole stack into moto; destroyed at the end if a test has not done it."""
    workdir = emulated_copy(terraform, tmp_path_factory.mktemp("tf-apply"), emulator_vars)
    terraform.run(workdir, "apply", "-auto-approve", "-input=false", "-no-color", env=aws_env)
    outputs = json.loads(terraform.run(workdir, "output", "-json", env=aws_env).stdout)
    applied = Stack(terraform, workdir, aws_env, moto_server, {k: v["value"] for k, v in outputs.items()})
    yield applied
    if not applied.destroyed:
        applied.destroy()


# ---------------------------------------------------------------------------- least privilege


def as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


DESCRIBER = "global.anthropic.claude-haiku-4-5-20251001-v1:0"  # the default: a global inference profile
DESCRIBER_PROFILE = f"arn:aws:bedrock:{REGION}:{ACCOUNT_ID}:inference-profile/{DESCRIBER}"
VECTOR_BUCKET = f"arn:aws:s3vectors:{REGION}:{ACCOUNT_ID}:bucket/{NAME}-vectors-{ACCOUNT_ID}-{REGION}"


def expected_grants(function: str, index: str = "pinecone") -> dict[str, set[str]]:
    """Per action, exactly the resources a function's role may use (with the default variables)."""
    bucket = f"arn:aws:s3:::{NAME}-{ACCOUNT_ID}-{REGION}"
    originals, thumbnails = f"{bucket}/originals/*", f"{bucket}/thumbnails/*"
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/lambda/{NAME}-{function}:*"
    ssm = f"arn:aws:ssm:{REGION}:{ACCOUNT_ID}:parameter/{NAME}"
    parameters = {f"{ssm}/database-url"}
    if index == "pinecone":
        parameters.add(f"{ssm}/pinecone-api-key")
    models = {f"arn:aws:bedrock:{REGION}::foundation-model/cohere.embed-english-v3"}
    grants = {
        "logs:CreateLogStream": {log_group},
        "logs:PutLogEvents": {log_group},
        "ssm:GetParameter": parameters,
        "bedrock:InvokeModel": models,
    }
    vector_index = f"{VECTOR_BUCKET}/index/descriptions"
    if function == "ingest":
        claude = DESCRIBER.removeprefix("global.")
        # A global profile routes to any region: the region-less ARN, and the model here.
        models.update(
            {
                DESCRIBER_PROFILE,
                f"arn:aws:bedrock:{REGION}::foundation-model/{claude}",
                f"arn:aws:bedrock:::foundation-model/{claude}",
            }
        )
        grants |= {
            "s3:GetObject": {originals},
            "s3:DeleteObject": {originals, thumbnails},
            "s3:PutObject": {thumbnails},
            "s3:ListBucket": {bucket},
            "sqs:SendMessage": {f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{NAME}-ingest-dlq"},
        }
        if index == "s3vectors":
            for action in ("CreateIndex", "GetIndex", "PutVectors", "GetVectors", "DeleteVectors", "QueryVectors"):
                grants[f"s3vectors:{action}"] = {vector_index}
            for action in ("GetVectorBucket", "CreateVectorBucket"):
                grants[f"s3vectors:{action}"] = {VECTOR_BUCKET}
    else:
        parameters.add(f"{ssm}/web-secret-key")
        grants |= {
            "s3:GetObject": {originals, thumbnails},
            "s3:PutObject": {originals},
            "s3:DeleteObject": {originals, thumbnails},
        }
        if index == "s3vectors":
            for action in ("GetVectors", "DeleteVectors", "QueryVectors"):
                grants[f"s3vectors:{action}"] = {vector_index}
    return grants


def check_least_privilege(function: str, document: dict[str, Any], index: str = "pinecone") -> None:
    """Assert a role policy grants exactly what the function needs, on exactly its resources.

    Every action must be named (no wildcard), no statement may use Resource "*" (none of these
    actions needs it), and foundation models outside the region are reachable only through the
    configured inference profile.
    """
    granted: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow", statement
        assert "NotAction" not in statement and "NotResource" not in statement, statement
        actions = as_list(statement["Action"])
        resources = as_list(statement["Resource"])
        assert all("*" not in action for action in actions), statement
        assert "*" not in resources, statement
        for action in actions:
            granted.setdefault(action, set()).update(resources)
        if any(":foundation-model/anthropic." in arn for arn in resources):
            condition = statement.get("Condition", {}).get("StringEquals", {})
            assert as_list(condition.get("bedrock:InferenceProfileArn", [])) == [DESCRIBER_PROFILE], statement
    assert granted == expected_grants(function, index)


@pytest.fixture(scope="session")
def least_privilege():
    return check_least_privilege


@pytest.fixture(scope="session")
def secrets() -> dict[str, str]:
    """The dummy secret values the stack is deployed with."""
    return dict(SECRETS)


CHECKOV_VENV = ROOT / "build" / "checkov-venv"


@pytest.fixture(scope="session")
def checkov() -> Path:
    """checkov in its own venv (build/checkov-venv, as `make checkov` makes it): its pins clash with ours."""
    executable = CHECKOV_VENV / "bin" / "checkov"
    if not executable.exists():
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(CHECKOV_VENV)], check=True, timeout=120
            )
            subprocess.run(
                [str(CHECKOV_VENV / "bin" / "pip"), "install", "--quiet", "checkov"],
                check=True,
                timeout=900,
                capture_output=True,
            )
        except (subprocess.SubprocessError, OSError) as error:
            pytest.skip(f"cannot install checkov from PyPI into {CHECKOV_VENV}: {error}")
    return executable
