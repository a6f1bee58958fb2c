"""Fixtures for the AWS back ends: fake credentials, recorded events, Bedrock under Stubber, Pinecone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bedrock_stub import DESCRIBER_MODEL, EMBED_MODEL, BedrockStub, bedrock_client
from pinecone_standin import PineconeStandin

EVENTS = Path(__file__).parent.parent / "events"


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch):
    """Fake credentials and region: nothing in these tests may reach real AWS."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("PINECONE_API_KEY", raising=False)


@pytest.fixture
def load_event():
    """A recorded S3 event from tests/events/, by name."""

    def load(name: str) -> dict:
        return json.loads((EVENTS / f"{name}.json").read_text())

    return load


@pytest.fixture
def bedrock():
    """A real bedrock-runtime client under Stubber, answering like Claude and Cohere would."""
    stub = BedrockStub(bedrock_client(), describer_model=DESCRIBER_MODEL, embed_model=EMBED_MODEL)
    yield stub
    stub.stubber.deactivate()


@pytest.fixture
def pinecone_standin():
    server = PineconeStandin().start()
    yield server
    server.stop()
