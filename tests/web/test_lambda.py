"""The Lambda entry point (an API Gateway HTTP API event through apig-wsgi), and a cheap package import."""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

EVENTS = Path(__file__).parent / "events"


def event(name: str, path: str, query: str = "") -> dict:
    raw = copy.deepcopy(json.loads((EVENTS / f"{name}.json").read_text()))
    raw["rawPath"] = raw["requestContext"]["http"]["path"] = path
    raw["rawQueryString"] = query
    return raw


@pytest.fixture
def lambda_module(monkeypatch, tmp_path):
    """The handler module imported fresh, its settings read from the environment like on Lambda."""
    monkeypatch.setenv("IMGSEARCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("IMGSEARCH_OCR", "false")
    monkeypatch.setenv(
        "IMGSEARCH_PUBLIC_URL", "https://abc123.execute-api.us-east-1.amazonaws.com"
    )  # as Terraform sets it
    sys.modules.pop("imgsearch_web.lambda_handler", None)
    module = importlib.import_module("imgsearch_web.lambda_handler")
    yield module
    worker = module.app.extensions["imgsearch_worker"]
    if worker is not None:
        worker.stop()
    sys.modules.pop("imgsearch_web.lambda_handler", None)


def test_the_handler_answers_api_gateway_events(lambda_module, tmp_path):
    assert lambda_module.app.extensions["imgsearch"].settings.data_dir == tmp_path / "data"

    health = lambda_module.handler(event("http_api_get", "/healthz"), None)
    anonymous = lambda_module.handler(event("http_api_get", "/api/search", "q=cat"), None)
    foreign = event("http_api_get", "/healthz")
    foreign["headers"]["host"] = "photos.attacker.example"

    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == {"status": "ok", "storage": "local"}
    assert anonymous["statusCode"] == 401
    assert "Sign in first" in json.loads(anonymous["body"])["error"]
    assert lambda_module.handler(foreign, None)["statusCode"] == 400


def test_importing_the_package_and_building_the_app_stays_cheap(tmp_path):
    # A cold start that only lists or redirects must not pay for numpy (the embedder) or boto3.
    code = (
        "import sys; import imgsearch_web; "
        "assert not {'flask', 'PIL', 'numpy', 'sqlalchemy'} & set(sys.modules), 'package import'; "
        "app = imgsearch_web.create_app({'START_WORKER': False, 'data_dir': sys.argv[1]}); "
        "assert app.test_client().get('/healthz').status_code == 200; "
        "heavy = {'numpy', 'boto3', 'tokenizers', 'PIL'} & set(sys.modules); assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], check=True, timeout=60)
