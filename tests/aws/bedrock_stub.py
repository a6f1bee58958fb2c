"""Bedrock replies for tests: a real bedrock-runtime client under botocore's Stubber.

The Stubber checks every request against the service model. BedrockStub queues each reply just as
the call is made, so a test can say "describe photos like this, embed any text" without knowing in
advance how many chunks a description will have.
"""

from __future__ import annotations

import copy
import io
import json
import math
import re
import zlib
from collections import deque
from typing import Any

import boto3
from botocore.config import Config
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber

DIMENSION = 1024
DESCRIBER_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
EMBED_MODEL = "cohere.embed-english-v3"


def bedrock_client(max_attempts: int = 2, **config: Any) -> Any:
    """A real bedrock-runtime client with the standard retry mode (credentials are fake)."""
    options = {"retries": {"mode": "standard", "total_max_attempts": max_attempts}, **config}
    endpoint = options.pop("endpoint_url", None)
    return boto3.session.Session().client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(**options),
    )


def converse_response(text: str, stop_reason: str = "end_turn") -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop_reason,
        "usage": {"inputTokens": 1200, "outputTokens": 80, "totalTokens": 1280},
        "metrics": {"latencyMs": 900},
    }


def word_vector(text: str, dimension: int = DIMENSION) -> list[float]:
    """A deterministic stand-in embedding: one hashed bucket per word, so shared words mean similarity."""
    vector = [0.0] * dimension
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        vector[zlib.crc32(word.encode()) % dimension] += 1.0
    if not any(vector):
        vector[0] = 1.0
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm * 3.0 for x in vector]  # not unit length: the embedder must normalise


def cohere_response(texts: list[str], dimension: int = DIMENSION) -> dict[str, Any]:
    payload = {
        "id": "5a3e6a1c-0000-4000-8000-000000000000",
        "texts": texts,
        "embeddings": {"float": [word_vector(t, dimension) for t in texts]},
        "response_type": "embeddings_by_type",
    }
    raw = json.dumps(payload).encode()
    return {"body": StreamingBody(io.BytesIO(raw), len(raw)), "contentType": "application/json"}


class BedrockStub:
    """Answers converse with queued replies (text or an error code) and invoke_model with word vectors."""

    def __init__(self, client: Any, describer_model: str = ANY, embed_model: str = ANY) -> None:
        self.client = client
        self.stubber = Stubber(client)
        self.replies: deque[str | tuple[str, str]] = deque()
        self.embed_errors: deque[str] = deque()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.describer_model = describer_model
        self.embed_model = embed_model
        client.meta.events.register("provide-client-params.bedrock-runtime.*", self._respond)
        self.stubber.activate()

    def describe_as(self, *replies: str) -> BedrockStub:
        """Queue what the model says of the next photos."""
        self.replies.extend(replies)
        return self

    def fail_describe(self, code: str, message: str = "Too many requests") -> BedrockStub:
        self.replies.append((code, message))
        return self

    def fail_embed(self, code: str) -> BedrockStub:
        self.embed_errors.append(code)
        return self

    def requests(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]

    def _respond(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, copy.deepcopy(params)))
        if model.name == "Converse":
            expected = {**dict.fromkeys(params, ANY), "modelId": self.describer_model}
            reply = self.replies.popleft()
            if isinstance(reply, tuple):
                self.stubber.add_client_error(
                    "converse", service_error_code=reply[0], service_message=reply[1], http_status_code=429
                )
            else:
                self.stubber.add_response("converse", converse_response(reply), expected)
        elif model.name == "InvokeModel":
            if self.embed_errors:
                self.stubber.add_client_error(
                    "invoke_model", service_error_code=self.embed_errors.popleft(), http_status_code=429
                )
                return
            texts = json.loads(params["body"])["texts"]
            expected = {
                "modelId": self.embed_model,
                "body": ANY,
                "contentType": "application/json",
                "accept": "application/json",
            }
            self.stubber.add_response("invoke_model", cohere_response(texts), expected)
