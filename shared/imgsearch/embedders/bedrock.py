"""Cohere Embed v3 on Amazon Bedrock: descriptions and queries embedded differently, as unit vectors."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from imgsearch.aws import bedrock_error
from imgsearch.config import ConfigError
from imgsearch.errors import BackendError

MAX_TEXTS = 96  # Cohere Embed: texts per request
MAX_CHARS = 2048  # Cohere Embed: characters per text

# Model families by the name inside the id, so region-prefixed ids and ARNs work too.
DIMENSIONS = {
    "cohere.embed-english-light-v3": 384,
    "cohere.embed-multilingual-light-v3": 384,
    "cohere.embed-english-v3": 1024,
    "cohere.embed-multilingual-v3": 1024,
}


class BedrockEmbedder:
    """Embedder over a bedrock-runtime client (retries and timeouts are the client's config)."""

    max_chars = MAX_CHARS

    def __init__(self, client: Any, model_id: str) -> None:
        self.client = client
        self.model_id = model_id
        self.name = f"bedrock:{model_id}"
        self.dimension = model_dimension(model_id)

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        """Vectors for stored descriptions (input_type search_document), 96 texts per call."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), MAX_TEXTS):
            vectors.extend(self._embed(texts[start : start + MAX_TEXTS], "search_document"))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector for a search query (input_type search_query)."""
        return self._embed([text], "search_query")[0]

    def _embed(self, texts: Sequence[str], input_type: str) -> list[list[float]]:
        # Cut deliberately at Cohere's character limit (the chunker already splits at max_chars);
        # "truncate": "END" covers the token limit, which can bite before the character one.
        body = {
            "texts": [text[:MAX_CHARS] if text.strip() else "." for text in texts],
            "input_type": input_type,
            "embedding_types": ["float"],
            "truncate": "END",
        }
        try:
            response = self.client.invoke_model(
                modelId=self.model_id,
                body=json.dumps(body),
                contentType="application/json",
                accept="application/json",
            )
            payload = json.loads(response["body"].read())
        except (ClientError, BotoCoreError) as exc:
            raise bedrock_error("embedding text", self.model_id, exc) from exc
        except ValueError as exc:
            raise BackendError(f"{self.model_id} returned a reply that is not JSON ({exc})") from exc
        embeddings = payload.get("embeddings")
        if isinstance(embeddings, dict):  # "embeddings_by_type", as embedding_types asks for
            embeddings = embeddings.get("float")
        if not isinstance(embeddings, list) or len(embeddings) != len(texts):
            raise BackendError(
                f"{self.model_id} returned {len(embeddings) if isinstance(embeddings, list) else 'no'} "
                f"embeddings for {len(texts)} texts"
            )
        vectors = [_unit(vector) for vector in embeddings]
        if any(len(vector) != self.dimension for vector in vectors):
            raise BackendError(f"{self.model_id} returned vectors that are not {self.dimension}-dimensional")
        return vectors


def model_dimension(model_id: str) -> int:
    """The vector size of a Cohere Embed v3 model id; ConfigError for a model we do not know."""
    for family, dimension in sorted(DIMENSIONS.items(), key=lambda item: -len(item[0])):
        if family in model_id:
            return dimension
    known = ", ".join(sorted(DIMENSIONS))
    raise ConfigError(f"IMGSEARCH_BEDROCK_EMBED_MODEL={model_id!r} is not a supported model ({known})")


def _unit(vector: Sequence[float]) -> list[float]:
    values = [float(x) for x in vector]
    norm = math.sqrt(math.fsum(x * x for x in values))
    return [x / norm for x in values] if norm > 0 else values
